//! Spreadsheets the offices file and publish, as .xlsx (rust_xlsxwriter): the yearly
//! catalogues of normative documents (现行有效 / 失效目录) and the list of certification items
//! (证明事项清单). Pure builders: rows in, bytes out; the console and the CLI fetch the rows
//! through the API's own operations.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// A table for one sheet: a title over the header row, then the rows.
pub struct Table<'a> {
    /// The sheet's name (at most 31 characters, no `[]:*?/\`).
    pub sheet: &'a str,
    /// The title printed in the first row (e.g. 南昌县2019年现行有效规范性文件目录).
    pub title: &'a str,
    /// (header, column width in characters).
    pub columns: &'a [(&'a str, f64)],
    pub rows: Vec<Vec<String>>,
}

/// The table as a workbook of one sheet: the title merged across the columns, a bold bordered
/// header with a serial-number column first (序号, as the published catalogues have), the
/// header frozen, text wrapped.
pub fn workbook(table: &Table<'_>) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(table.sheet)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("#EEEEEE");
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let last = table.columns.len() as u16;
    sheet.merge_range(0, 0, 0, last, table.title, &title)?;
    sheet.write_string_with_format(1, 0, "序号", &header)?;
    sheet.set_column_width(0, 6)?;
    for (i, (name, width)) in table.columns.iter().enumerate() {
        let col = i as u16 + 1;
        sheet.write_string_with_format(1, col, *name, &header)?;
        sheet.set_column_width(col, *width)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let at = r as u32 + 2;
        sheet.write_number_with_format(at, 0, (r + 1) as f64, &cell)?;
        for (c, value) in row.iter().enumerate() {
            sheet.write_string_with_format(at, c as u16 + 1, value, &cell)?;
        }
    }
    sheet.set_freeze_panes(2, 0)?;
    book.save_to_buffer()
}
