//! Text tables for the tools: columns right aligned (numbers) or left
//! aligned (names), each as wide as its widest cell, the last column
//! unpadded; and byte sizes in the `K` units pmap(1) and ps use.

/// How a column is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table being built: a header, then rows of cells.
pub struct Table {
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            aligns: columns.iter().map(|(_, a)| *a).collect(),
            rows: vec![columns.iter().map(|(h, _)| h.to_string()).collect()],
        }
    }

    /// Add a row (missing cells are empty, extra ones dropped).
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.aligns.len(), String::new());
        self.rows.push(cells);
    }

    /// The table as text, one line per row, separated by one space.
    pub fn render(&self) -> String {
        let n = self.aligns.len();
        let widths: Vec<usize> = (0..n)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for r in &self.rows {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                if c > 0 {
                    line.push(' ');
                }
                let pad = widths[c] - cell.chars().count();
                let last = c + 1 == n;
                match self.aligns[c] {
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(cell);
                    }
                    Align::Left => {
                        line.push_str(cell);
                        if !last {
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A byte count in KiB with a `K` (`4096` -> `4K`), as pmap(1) shows sizes.
pub fn kib(bytes: u64) -> String {
    format!("{}K", bytes / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut t = Table::new(&[
            ("PID", Align::Right),
            ("CMD", Align::Left),
            ("X", Align::Left),
        ]);
        t.row(vec!["1".into(), "init".into(), "a".into()]);
        t.row(vec!["1234".into(), "sh".into()]);
        assert_eq!(t.render(), " PID CMD  X\n   1 init a\n1234 sh\n");
    }

    #[test]
    fn sizes() {
        assert_eq!(kib(4096), "4K");
        assert_eq!(kib(8 << 20), "8192K");
        assert_eq!(kib(0), "0K");
    }
}
