//! Flight series: the quantities the blog shows, decoded from a simulation's data rows as
//! they stream by and downsampled to a few hundred points that keep the flight's shape.
//!
//! * [`columns`] finds each quantity's column by its meaning, in any language OpenRocket
//!   ships (`names.rs` holds every display name it has used, and what a column holds);
//! * [`number`] reads the values, quickly, as OpenRocket writes them;
//! * [`downsample`] keeps at most [`SeriesConfig::max_points`] rows per branch, always with the
//!   first and last rows, the highest altitude, vertical velocity and total acceleration, and
//!   the row nearest each event.
//!
//! [`BranchDecoder`] ties them together for the reader ([`crate::ork`]): one per
//! `<databranch>`, fed each row's text and each event. Memory grows with the points kept,
//! never with the number of rows.

pub mod columns;
pub mod downsample;
mod names;
pub mod number;

use crate::model::BranchSeries;
pub use columns::{identify, ColumnPlan, NameEra};
pub use downsample::{reduce, Dropped, Sampler, MAX_ABS};
pub use names::Column;

/// How much of the flight to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesConfig {
    /// Points kept per branch (300).
    pub max_points: usize,
    /// Events kept per branch (1 000); more are counted in a warning.
    pub max_events: usize,
}

impl Default for SeriesConfig {
    fn default() -> Self {
        SeriesConfig {
            max_points: 300,
            max_events: 1000,
        }
    }
}

/// Decodes one branch's rows into its series.
///
/// Each row is read only as far as the choice of rows needs: time, altitude, vertical velocity
/// and total acceleration, found by skipping commas eight bytes at a time. The row's text goes
/// with it, and the other quantities are read from the texts of the rows kept, when the branch
/// ends. So values that are not numbers, out of range or missing (a row that ends early) in
/// those other columns are counted where they are gaps in the series, in the rows kept; in the
/// four columns read from every row, they are counted in every row.
#[derive(Debug)]
pub struct BranchDecoder {
    /// Columns read from every row, in column order: (column, slot: a quantity's index or
    /// time).
    key: Vec<(usize, u8)>,
    /// Columns read from the rows kept, in column order.
    rest: Vec<(usize, u8)>,
    sampler: Sampler,
    seq: u64,
}

/// Whether a quantity is read from every row (the downsampling chooses rows by it).
fn is_key(slot: u8) -> bool {
    use crate::model::Quantity;
    slot == columns::TIME_SLOT
        || [
            Quantity::Altitude,
            Quantity::VerticalVelocity,
            Quantity::TotalAcceleration,
        ]
        .iter()
        .any(|q| q.index() == slot as usize)
}

impl BranchDecoder {
    /// A decoder for a branch with these column names, or `None` when the branch has no time
    /// or no quantity we keep.
    pub fn new<'a>(
        config: SeriesConfig,
        branch: Option<String>,
        columns: impl IntoIterator<Item = &'a str>,
        era: Option<NameEra>,
    ) -> Option<BranchDecoder> {
        let plan = ColumnPlan::new(columns, era);
        if !plan.is_useful() {
            return None;
        }
        let (key, rest) = plan.wanted().partition(|&(_, slot)| is_key(slot));
        Some(BranchDecoder {
            key,
            rest,
            sampler: Sampler::new(config, branch, plan.present),
            seq: 0,
        })
    }

    /// An `<event>` of the branch.
    pub fn event(&mut self, kind: &str, time_s: f64) {
        self.sampler.event(kind, time_s);
    }

    /// The text of one `<datapoint>`: comma-separated values.
    pub fn row(&mut self, text: &[u8]) {
        self.sampler.count_row();
        let seq = self.seq;
        self.seq += 1;
        let mut point = downsample::Point::new(seq, f64::NAN);
        point.short = read_fields(text, &self.key, &mut point, &mut self.sampler.dropped);
        if point.short {
            self.sampler.dropped.short_rows += 1;
        }
        if !point.t.is_finite() {
            self.sampler.dropped.no_time += 1;
            return;
        }
        if text.len() > ROW_TEXT_KEPT {
            // A very long row is read in full now, so that the texts held stay small.
            complete(text, &self.rest, &mut point, &mut self.sampler.dropped);
            self.sampler.push(point, b"");
        } else {
            self.sampler.push(point, text);
        }
    }

    /// The downsampled series, and the warnings of what was left out.
    pub fn finish(self) -> (BranchSeries, Vec<String>) {
        let rest = self.rest;
        let (series, d) = self
            .sampler
            .finish(|text, p, dropped| complete(text, &rest, p, dropped));
        let mut notes = Vec::new();
        let mut note = |n: u64, what: &str| {
            if n > 0 {
                notes.push(format!("{n} {what}"));
            }
        };
        note(
            d.no_time,
            "datapoint row(s) without a usable time were left out of the series",
        );
        note(
            d.backwards,
            "datapoint row(s) whose time went backwards were left out of the series",
        );
        note(
            d.not_numbers,
            "value(s) that are not numbers are gaps in the series",
        );
        note(
            d.out_of_range,
            "infinite or absurd value(s) (beyond ±1e9) are gaps in the series",
        );
        note(
            d.short_rows,
            "datapoint row(s) end before a column the series needs (gaps)",
        );
        note(
            d.events,
            "event(s) past the limit were not kept in the series",
        );
        (series, notes)
    }
}

/// Rows longer than this are read in full as they come, rather than held as text until the
/// branch ends: memory stays bounded by the rows held times this, whatever a file's rows.
const ROW_TEXT_KEPT: usize = 4096;

/// Reads the columns left for later (`rest`) into `point`, once.
fn complete(
    text: &[u8],
    rest: &[(usize, u8)],
    point: &mut downsample::Point,
    dropped: &mut Dropped,
) {
    if point.complete {
        return;
    }
    let short = read_fields(text, rest, point, dropped);
    if short && !point.short {
        dropped.short_rows += 1;
    }
    point.complete = true;
}

/// Reads the fields of `columns` (in column order) from a row's text into `point`, counting
/// values that are not numbers or out of range. Only the commas before each field are looked
/// for, eight bytes at a time; nothing after the last of `columns` is looked at. Returns
/// whether the row ends before one of `columns` (its value stays a gap).
fn read_fields(
    text: &[u8],
    columns: &[(usize, u8)],
    point: &mut downsample::Point,
    dropped: &mut Dropped,
) -> bool {
    let n = text.len();
    let mut commas = Commas::new(text);
    // Commas passed so far, and where the last one is (a field starts after it).
    let mut passed = 0;
    let mut start = 0;
    for (k, &(column, slot)) in columns.iter().enumerate() {
        if column > passed {
            match commas.nth(column - 1 - passed) {
                Some(at) => start = at + 1,
                None => return true,
            }
            passed = column;
        }
        let end = commas.next();
        passed += 1;
        let field = &text[start..end.unwrap_or(n)];
        let value = match number::parse(field) {
            Some(v) if v.is_nan() => f64::NAN,
            Some(v) if v.is_finite() && v.abs() <= MAX_ABS => v,
            Some(_) => {
                dropped.out_of_range += 1;
                f64::NAN
            }
            None => {
                dropped.not_numbers += 1;
                f64::NAN
            }
        };
        if slot == columns::TIME_SLOT {
            point.t = value;
        } else {
            point.v[slot as usize] = value;
        }
        match end {
            Some(at) => start = at + 1,
            // The row ends with this field: a column after it is missing.
            None => return k + 1 < columns.len(),
        }
    }
    false
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// One bit (the top bit of the byte) per `,` in a little-endian word, exactly.
#[inline]
fn comma_mask(word: u64) -> u64 {
    let x = word ^ (ONES * u64::from(b','));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Positions of the commas of a row, eight bytes at a time.
struct Commas<'a> {
    text: &'a [u8],
    /// Start of the word in `mask`.
    base: usize,
    mask: u64,
}

impl<'a> Commas<'a> {
    fn new(text: &'a [u8]) -> Self {
        let mut c = Commas {
            text,
            base: 0,
            mask: 0,
        };
        c.mask = c.load(0);
        c
    }

    #[inline]
    fn load(&self, at: usize) -> u64 {
        let rest = &self.text[at.min(self.text.len())..];
        if rest.len() >= 8 {
            comma_mask(u64::from_le_bytes([
                rest[0], rest[1], rest[2], rest[3], rest[4], rest[5], rest[6], rest[7],
            ]))
        } else {
            let mut bytes = [0u8; 8];
            bytes[..rest.len()].copy_from_slice(rest);
            comma_mask(u64::from_le_bytes(bytes))
        }
    }
}

impl Commas<'_> {
    /// Skips `k` commas and returns the position of the one after them.
    ///
    /// Bit by bit rather than by population count: x86-64's baseline has no `popcnt`, and a
    /// word holds one or two commas.
    #[inline]
    fn nth(&mut self, mut k: usize) -> Option<usize> {
        loop {
            while self.mask != 0 {
                if k == 0 {
                    return self.next();
                }
                self.mask &= self.mask - 1;
                k -= 1;
            }
            self.base += 8;
            if self.base >= self.text.len() {
                return None;
            }
            self.mask = self.load(self.base);
        }
    }
}

impl Iterator for Commas<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 8;
            if self.base >= self.text.len() {
                return None;
            }
            self.mask = self.load(self.base);
        }
        let bit = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + bit / 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_are_found_exactly() {
        for text in [
            "",
            ",",
            "1,2,3",
            "0.01,0,0,0,0,0,0,0,0,0,0,0,0,45,0,1.571",
            ",,,,,,,,,,,,,,,,,",
            "abcdefgh,ijklmnop,",
            "\u{2c}é,ü,,",
        ] {
            let expected: Vec<usize> = text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b',')
                .map(|(i, _)| i)
                .collect();
            let got: Vec<usize> = Commas::new(text.as_bytes()).collect();
            assert_eq!(got, expected, "{text:?}");
            for k in 0..expected.len() + 2 {
                let mut c = Commas::new(text.as_bytes());
                assert_eq!(c.nth(k), expected.get(k).copied(), "{text:?} nth({k})");
                assert_eq!(
                    c.next(),
                    expected.get(k + 1).copied(),
                    "{text:?} after nth({k})"
                );
            }
        }
        // Every byte value beside a comma: no false positives from borrows.
        let all: Vec<u8> = (0..=255u8).flat_map(|b| [b, b',']).collect();
        assert_eq!(Commas::new(&all).count(), 257);
    }

    fn decode(columns: &[&str], rows: &[&str]) -> (BranchSeries, Vec<String>) {
        let mut d =
            BranchDecoder::new(SeriesConfig::default(), None, columns.iter().copied(), None)
                .expect("a useful branch");
        for r in rows {
            d.row(r.as_bytes());
        }
        d.finish()
    }

    #[test]
    fn other_columns_are_read_from_the_rows_kept() {
        // 1 000 rows, 300 points kept: altitude and time come from every row, Mach only from
        // the rows kept, so its gaps are counted where they show.
        let rows: Vec<String> = (0..1000)
            .map(|i| {
                let mach = if i % 2 == 0 {
                    "x".to_string()
                } else {
                    format!("{}", i as f64 / 1000.0)
                };
                format!("{},{},{}", i as f64 * 0.01, (i * (1000 - i)) as f64, mach)
            })
            .collect();
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let (s, notes) = decode(&["Time", "Altitude", "Mach number"], &refs);
        assert_eq!(s.len(), 300);
        assert_eq!(s.source_rows, 1000);
        let mach = s.mach.as_ref().expect("mach");
        let gaps = mach.iter().filter(|v| v.is_none()).count();
        for (t, m) in s.time_s.iter().zip(mach) {
            let i = (t / 0.01).round() as usize;
            assert_eq!(*m, (i % 2 == 1).then(|| i as f64 / 1000.0), "row {i}");
        }
        assert!(gaps > 0 && gaps < 300);
        assert_eq!(
            notes,
            vec![format!(
                "{gaps} value(s) that are not numbers are gaps in the series"
            )]
        );
        // The highest altitude (row 500) is kept, exactly.
        let top = s
            .altitude_m
            .as_ref()
            .unwrap()
            .iter()
            .flatten()
            .fold(0.0f64, |a, &b| a.max(b));
        assert_eq!(top, 250_000.0);
    }

    #[test]
    fn long_rows_are_read_at_once_and_give_the_same_series() {
        // The same rows, with a long ignored column at the end of some: the series is the same.
        let pad = "9".repeat(ROW_TEXT_KEPT);
        let short: Vec<String> = (0..700)
            .map(|i| format!("{},{},{}", i, (i * (700 - i)) as f64, i as f64 / 100.0))
            .collect();
        let long: Vec<String> = short
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if i % 3 == 0 {
                    format!("{r},{pad}")
                } else {
                    r.clone()
                }
            })
            .collect();
        let columns = ["Time", "Altitude", "Mach number", "Drag force"];
        let a = decode(
            &columns,
            &short.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let b = decode(
            &columns,
            &long.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert!(a.0.mach.as_ref().unwrap().iter().all(Option::is_some));
    }

    #[test]
    fn rows_decode_into_quantities_with_gaps() {
        let (s, notes) = decode(
            &["Time", "Altitude", "Drag", "Vertical velocity"],
            &[
                "0,0,9,0",
                "0.5,1.5,9,NaN",
                "1,abc,9,2",
                "1.5,1e300,9,3",
                "2,4",
            ],
        );
        assert_eq!(s.time_s, vec![0.0, 0.5, 1.0, 1.5, 2.0]);
        assert_eq!(
            s.altitude_m,
            Some(vec![Some(0.0), Some(1.5), None, None, Some(4.0)])
        );
        assert_eq!(
            s.vertical_velocity_m_s,
            Some(vec![Some(0.0), None, Some(2.0), Some(3.0), None])
        );
        assert_eq!(s.mach, None);
        assert_eq!(s.source_rows, 5);
        assert_eq!(notes.len(), 3, "{notes:?}");
    }
}
