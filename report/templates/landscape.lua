-- A table too wide for a portrait A4 page sits in a Div of class "landscape" (capnuoc_model.publish.notebook_output marks
-- it). Quarto 1.6 and later turn such a Div into landscape pages itself, in typst and DOCX; this filter
-- does the same for the offline renderer. typst: the Div's content on pages of their own, turned
-- (`page(flipped: true)`). DOCX: a section break before and after the Div, the section between them
-- landscape; render.py completes each section's properties (margins, page-number header) from the
-- reference document's. Other formats keep the Div (HTML: CSS makes it as wide as the window).
local PORTRAIT = '<w:p><w:pPr><w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:pPr></w:p>'
local LANDSCAPE = '<w:p><w:pPr><w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/></w:sectPr></w:pPr></w:p>'

function Div(div)
  if not div.classes:includes("landscape") then
    return nil
  end
  if FORMAT == "typst" then
    local out = pandoc.Blocks({ pandoc.RawBlock("typst", "#page(flipped: true)[") })
    out:extend(div.content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  elseif FORMAT == "docx" then
    -- the paragraph holding a sectPr ends the section before it: portrait up to here, landscape the Div
    local out = pandoc.Blocks({ pandoc.RawBlock("openxml", PORTRAIT) })
    out:extend(div.content)
    out:insert(pandoc.RawBlock("openxml", LANDSCAPE))
    return out
  end
  return nil
end
