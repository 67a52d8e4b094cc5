-- Quarto's conditional content by profile, for the offline renderer
-- (https://quarto.org/docs/authoring/conditional.html): a div or span of class content-visible is kept
-- only when its when-profile names the document's profile (and none of unless-profile does);
-- content-hidden is the reverse. The profile comes as -M capnuoc-profile=NAME.
local function names(value)
  local out = {}
  for name in string.gmatch(value or "", "[^,%s]+") do
    out[name] = true
  end
  return out
end

local function matches(el, profile)
  local when, unless = el.attributes["when-profile"], el.attributes["unless-profile"]
  if when == nil and unless == nil then
    return nil  -- a condition on something else (format, metadata): not ours to judge
  end
  return (when == nil or names(when)[profile] == true) and not (unless ~= nil and names(unless)[profile] == true)
end

local function filter(profile)
  local function apply(el)
    local visible = el.classes:includes("content-visible")
    if not visible and not el.classes:includes("content-hidden") then
      return nil
    end
    local met = matches(el, profile)
    if met == nil then
      return nil
    end
    if met == visible then
      return el.content  -- shown: the content without its wrapper
    end
    return {}
  end
  return { Div = apply, Span = apply }
end

function Pandoc(doc)
  local profile = pandoc.utils.stringify(doc.meta["capnuoc-profile"] or "")
  return doc:walk(filter(profile))
end
