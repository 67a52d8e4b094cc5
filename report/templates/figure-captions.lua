-- A chart and its caption are one figure, so that no page break separates them. The notebooks show a
-- chart (an image output) and then its caption as an italic line "*Hình 1.1. ...*" (capnuoc_model.publish.notebook_output);
-- this filter joins the two into a pandoc Figure: typst keeps a figure on one page, Word keeps the figure's
-- paragraph with its caption, HTML gets <figure>/<figcaption>. Both renderers run it; in Quarto's outputs
-- each of the two sits in its own output Div, which is looked through.
local LABEL = "^Hình%s+[%wĐđ]+[%.%d]*%."

local function only(blocks)
  -- the single block inside a Div (or the block itself): Quarto wraps each output in a Div
  local block = blocks
  while block and block.t == "Div" and #block.content == 1 do
    block = block.content[1]
  end
  return block
end

local function sole_inline(block, kind)
  -- the one inline of a paragraph that holds nothing else, if it is of this kind (Image, Emph)
  block = only(block)
  if block and (block.t == "Para" or block.t == "Plain") and #block.content == 1 and block.content[1].t == kind then
    return block.content[1]
  end
  return nil
end

local function image_of(block)
  return sole_inline(block, "Image")
end

local function caption_of(block)
  local emph = sole_inline(block, "Emph")
  if emph and pandoc.utils.stringify(emph):match(LABEL) then
    return emph.content
  end
  return nil
end

local function join(blocks)
  local out = pandoc.Blocks({})
  local i = 1
  while i <= #blocks do
    local image = image_of(blocks[i])
    local caption = blocks[i + 1] and caption_of(blocks[i + 1])
    if image and caption then
      image.caption = {}
      out:insert(pandoc.Figure({ pandoc.Plain({ image }) }, { long = { pandoc.Plain(caption) } }))
      i = i + 2
    else
      out:insert(blocks[i])
      i = i + 1
    end
  end
  return out
end

return {
  { Blocks = join },
}
