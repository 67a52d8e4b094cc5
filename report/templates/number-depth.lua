-- Headings deeper than `number-depth` stay unnumbered: the plan's sections carry their own numbers
-- ("I.", "1.", "A.1."), only chapters get one. pandoc has no number-depth, and Quarto's typst book
-- does not apply it (it numbers "1.2.1 1. Mô hình…"), while both honour the `unnumbered` class.
-- Both renderers run this filter; Quarto passes number-depth as document metadata, the offline
-- renderer with -M number-depth=N.
local function depth_of(meta)
  local value = meta["number-depth"]
  if value == nil then
    return nil
  end
  return tonumber(pandoc.utils.stringify(value))
end

function Pandoc(doc)
  local depth = depth_of(doc.meta)
  if depth == nil then
    return nil
  end
  return doc:walk({
    Header = function(h)
      if h.level > depth and not h.classes:includes("unnumbered") then
        h.classes:insert("unnumbered")
        return h
      end
    end,
  })
end
