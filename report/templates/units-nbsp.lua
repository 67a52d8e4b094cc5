-- A number never separates from its unit at a line break: "17,9 %", "2.600 người", "4.829 m³/ngày đêm".
-- capnuoc_model.data.fmt writes generated numbers with a no-break space already (fmt.UNIT_SPACE in documents);
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

local function last_part(text)
  -- what follows the last no-break space ("2,5 điểm" -> "điểm"): a unit may have two words
  local from = 1
  while true do
    local _, stop = text:find(NBSP, from, true)
    if not stop then
      return text:sub(from)
    end
    from = stop + 1
  end
end

local function joins(left, right)
  local last = last_part(left)
  return (is_number(last) and is_unit(right)) or (last == "điểm" and right:sub(1, 1) == "%")
end

local function joins_next(inlines, i, text)
  -- whether ``text`` (the Str at i, with what it has joined so far) joins the Str after the next Space
  local space, b = inlines[i + 1], inlines[i + 2]
  return space ~= nil and space.t == "Space" and b ~= nil and b.t == "Str" and joins(text, b.text)
end

local function first_join(inlines)
  -- the first Str that joins the Str after the next Space, if any
  for i = 1, #inlines - 2 do
    if inlines[i].t == "Str" and joins_next(inlines, i, inlines[i].text) then
      return i
    end
  end
  return nil
end

function Inlines(inlines)
  local first = first_join(inlines)
  if first == nil then
    return nil  -- most lists: nothing to join, and handing them back unchanged costs pandoc nothing
  end
  local out = pandoc.Inlines({})
  for j = 1, first - 1 do
    out:insert(inlines[j])
  end
  local i = first
  while i <= #inlines do
    local a = inlines[i]
    if a.t == "Str" then
      local text = a.text
      while joins_next(inlines, i, text) do
        text = text .. NBSP .. inlines[i + 2].text  -- "17,9 %", "2.600 người", "2,5 điểm %"
        i = i + 2
      end
      out:insert(pandoc.Str(text))
    else
      out:insert(a)
    end
    i = i + 1
  end
  return out
end
