-- Quarto's typst output drops the caption of a table that has no cross-reference label, and no table
-- here has one: the notebooks number their captions themselves ("Bảng 2.1. ..."). HTML and DOCX keep
-- them. For typst (Quarto only), the caption becomes a centred italic line above the table that stays
-- on the table's page, as the offline PDF shows it.
function Table(tbl)
  if tbl.identifier ~= "" or #tbl.caption.long == 0 then
    return nil
  end
  local caption = pandoc.Plain({ pandoc.RawInline("typst", "#align(center, block(sticky: true)[#emph[") })
  caption.content:extend(pandoc.utils.blocks_to_inlines(tbl.caption.long))
  caption.content:insert(pandoc.RawInline("typst", "]])"))
  tbl.caption.long = pandoc.Blocks({})
  return { caption, tbl }
end
