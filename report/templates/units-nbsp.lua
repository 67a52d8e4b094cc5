-- A number never separates from its unit at a line break: "17,9 %", "2.600 người", "4.829 m³/ngày đêm".
-- capnuoc_model.fmt writes generated numbers with a no-break space already (fmt.UNIT_SPACE in documents);
-- this filter does the same for the numbers written in the notebooks' own text. Both renderers, every format.
local NBSP = "\u{00A0}"
local UNITS = {
  ["%"] = true, ["‰"] = true, ["người"] = true, ["hộ"] = true, ["đồng"] = true, ["tỷ"] = true, ["triệu"] = true,
  ["nghìn"] = true, ["km"] = true, ["m"] = true, ["mm"] = true, ["lít"] = true, ["giờ"] = true, ["ngày"] = true,
  ["tháng"] = true, ["năm"] = true, ["điểm"] = true, ["ha"] = true, ["bar"] = true,
}

local function is_number(text)
  -- 17,9  2.600  (87,4  20–24  8-12: digits with Vietnamese separators, maybe a bracket before, maybe a range
  return text:match("^[%(%[]?%d[%d%.,]*$") ~= nil or text:match("^[%(%[]?%d[%d%.,]*–%d[%d%.,]*$") ~= nil
    or text:match("^[%(%[]?%d[%d%.,]*%-%d[%d%.,]*$") ~= nil
end

local function is_unit(text)
  for _, prefix in ipairs({ "%", "‰", "m³", "m²", "l/" }) do
    if text:sub(1, #prefix) == prefix then
      return true
    end
  end
  local word = text:match("^([^%s%p]+)")
  return word ~= nil and UNITS[word] == true
end

function Inlines(inlines)
  local out = pandoc.Inlines({})
  local i = 1
  while i <= #inlines do
    local a, gap, b = inlines[i], inlines[i + 1], inlines[i + 2]
    if a.t == "Str" and gap and gap.t == "Space" and b and b.t == "Str" and is_number(a.text) and is_unit(b.text) then
      out:insert(pandoc.Str(a.text .. NBSP .. b.text))
      i = i + 3
    else
      out:insert(a)
      i = i + 1
    end
  end
  return out
end
