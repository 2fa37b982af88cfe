//! The two-tier history of one VM or host: a full-resolution tier for the recent past and a
//! tier of coarse bucket averages for the rest of the retention period, each a ring of packed
//! blocks. Timestamps are implicit (slot numbers on the store's grid); missing slots are gaps.

use super::blocks::{BlockRing, Reader};
use super::codec;
use super::retention::Layout;

/// One row of values as a query sees it: stored codes, a bucket still being averaged, or a gap.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Row<'a, const M: usize> {
    Stored([u16; M]),
    Partial(&'a Accumulator<M>),
    Gap,
}

impl<const M: usize> Row<'_, M> {
    /// The value in `column`, if any.
    #[inline]
    pub fn get(&self, column: usize) -> Option<f32> {
        match self {
            Row::Stored(codes) => codes.get(column).copied().and_then(codec::decode),
            Row::Partial(acc) => acc.average(column),
            Row::Gap => None,
        }
    }
}

/// Running sums of the bucket being filled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accumulator<const M: usize> {
    sum: [f32; M],
    count: [u16; M],
}

impl<const M: usize> Accumulator<M> {
    const EMPTY: Self = Self {
        sum: [0.0; M],
        count: [0; M],
    };

    fn add(&mut self, values: &[f32; M]) {
        for ((sum, count), value) in self.sum.iter_mut().zip(&mut self.count).zip(values) {
            if !value.is_nan() {
                *sum += value;
                *count = count.saturating_add(1);
            }
        }
    }

    fn average(&self, column: usize) -> Option<f32> {
        let count = *self.count.get(column)?;
        (count > 0).then(|| self.sum[column] / f32::from(count))
    }

    fn encode(&self) -> [u16; M] {
        std::array::from_fn(|column| codec::encode_option(self.average(column)))
    }
}

/// Reads a history's fine tier in increasing slot order, unpacking each block once.
pub(crate) struct FineReader<'a, const M: usize> {
    history: &'a History<M>,
    rows: Reader<'a, M>,
}

impl<'a, const M: usize> FineReader<'a, M> {
    /// The row at `slot`: stored data, a gap after the last write, or `None` when the slot is
    /// older than the fine tier reaches.
    pub fn row(&mut self, slot: u32) -> Option<Row<'a, M>> {
        let history = self.history;
        if !history.written || slot < history.fine_start() {
            return None;
        }
        if slot > history.head {
            return Some(Row::Gap);
        }
        Some(Row::Stored(self.rows.row(slot)))
    }
}

/// The two-tier history of `M` metrics. The rings allocate on the first write, so a domain
/// that never runs costs only this struct.
#[derive(Debug, Clone)]
pub(crate) struct History<const M: usize> {
    layout: Layout,
    /// Slot `s`'s row at index `s`; the last `layout.fine` slots stay readable.
    fine: BlockRing<M>,
    /// Bucket `b`'s average at index `b`; the last `layout.coarse` buckets stay readable.
    coarse: BlockRing<M>,
    /// Whether anything was written since creation.
    written: bool,
    /// The first slot written (history does not reach further back).
    first: u32,
    /// The last slot written.
    head: u32,
    /// The earliest slot whose fine row holds real data (raised when the ring shrinks).
    fine_from: u32,
    /// The bucket being accumulated; buckets before it are in the coarse ring.
    acc_bucket: u32,
    acc: Accumulator<M>,
}

impl<const M: usize> History<M> {
    pub fn new(layout: Layout) -> Self {
        Self::staggered(layout, 0)
    }

    /// A history whose rings finish their blocks `phase` rows off the slot grid's multiples of
    /// 32 (see [`BlockRing`]): domains given different phases pack in different ticks.
    pub fn staggered(layout: Layout, phase: u32) -> Self {
        Self {
            layout,
            fine: BlockRing::new(layout.fine, phase),
            coarse: BlockRing::new(layout.coarse, phase),
            written: false,
            first: 0,
            head: 0,
            fine_from: 0,
            acc_bucket: 0,
            acc: Accumulator::EMPTY,
        }
    }

    /// Records `values` (NaN = gap) at `slot`. Slots skipped since the previous write become
    /// gaps; a slot older than the last one written is ignored; writing the same slot again
    /// replaces its fine row (the coarse average then counts both samples).
    /// A history not started yet stays empty for a row of gaps only (every statistics group
    /// off): a running VM then costs no rings.
    pub fn write(&mut self, slot: u32, values: &[f32; M]) {
        if !self.written {
            if values.iter().all(|value| value.is_nan()) {
                return;
            }
            self.start(slot);
        } else if slot < self.head {
            return;
        }
        self.fine.set(
            slot,
            std::array::from_fn(|column| codec::encode(values[column])),
        );
        self.head = slot;

        if let Some(bucket) = slot.checked_div(self.layout.bucket) {
            if bucket > self.acc_bucket {
                self.flush_until(bucket);
            }
            self.acc.add(values);
        }
    }

    /// Anchors the history at `slot`.
    fn start(&mut self, slot: u32) {
        if let Some(bucket) = slot.checked_div(self.layout.bucket) {
            self.acc_bucket = bucket;
        }
        self.acc = Accumulator::EMPTY;
        self.written = true;
        self.first = slot;
        self.head = slot;
        self.fine_from = slot;
    }

    /// Stores the finished bucket's average and starts accumulating `bucket`; the buckets
    /// between, which had no sample, read back as gaps.
    fn flush_until(&mut self, bucket: u32) {
        self.coarse.set(self.acc_bucket, self.acc.encode());
        self.acc = Accumulator::EMPTY;
        self.acc_bucket = bucket;
    }

    /// Changes the full-resolution tier's length, keeping the most recent rows it can hold.
    pub fn resize_fine(&mut self, slots: u32) {
        let slots = slots.max(1);
        if slots == self.layout.fine {
            return;
        }
        if self.written {
            self.fine_from = self.fine_start().max((self.head + 1).saturating_sub(slots));
        }
        self.layout.fine = slots;
        self.fine.set_capacity(slots);
    }

    /// The earliest slot the fine ring still holds.
    fn fine_start(&self) -> u32 {
        self.fine_from
            .max((self.head + 1).saturating_sub(self.layout.fine))
    }

    /// The row at `slot` from the fine tier: stored data, a gap after the last write, or `None`
    /// when the slot is older than the fine tier reaches.
    #[cfg(test)]
    pub fn fine_row(&self, slot: u32) -> Option<Row<'_, M>> {
        self.fine_reader().row(slot)
    }

    /// Reads the fine tier's rows slot by slot, in increasing order, as `fine_row` gives them.
    pub fn fine_reader(&self) -> FineReader<'_, M> {
        FineReader {
            history: self,
            rows: self.fine.reader(),
        }
    }

    /// Calls `visit(position, row)` for every row between slots `from` and `to` (inclusive),
    /// oldest first, using coarse bucket averages where the fine tier no longer reaches.
    /// `position` is the row's time in slots (a bucket's middle for coarse rows). Nothing is
    /// visited before the first write; rows after the last write are gaps.
    pub fn visit(&self, from: u32, to: u32, mut visit: impl FnMut(f64, Row<'_, M>)) {
        if !self.written || from > to {
            return;
        }
        let fine_start = self.fine_start();
        let bucket = self.layout.bucket;
        // Where fine rows take over: at a bucket boundary when older data went to the coarse
        // tier, so no time is covered twice.
        let boundary = if bucket > 0 && self.first < fine_start {
            fine_start.div_ceil(bucket) * bucket
        } else {
            fine_start
        };
        if bucket > 0 && from < boundary {
            let oldest_kept = self.acc_bucket.saturating_sub(self.layout.coarse);
            let first_bucket = (from / bucket).max(oldest_kept).max(self.first / bucket);
            let end_bucket = (boundary / bucket).min(to / bucket + 1);
            let mut coarse = self.coarse.reader();
            for b in first_bucket..end_bucket {
                let row = match b.cmp(&self.acc_bucket) {
                    std::cmp::Ordering::Less => Row::Stored(coarse.row(b)),
                    std::cmp::Ordering::Equal => Row::Partial(&self.acc),
                    std::cmp::Ordering::Greater => Row::Gap,
                };
                let middle = f64::from(b) * f64::from(bucket) + f64::from(bucket - 1) / 2.0;
                visit(middle, row);
            }
        }
        let mut fine = self.fine.reader();
        for slot in from.max(boundary).max(self.first)..=to {
            let row = if slot > self.head {
                Row::Gap
            } else {
                Row::Stored(fine.row(slot))
            };
            visit(f64::from(slot), row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(fine: u32, bucket: u32, coarse: u32) -> Layout {
        Layout {
            fine,
            bucket,
            coarse,
        }
    }

    fn collect(history: &History<2>, from: u32, to: u32) -> Vec<(f64, Option<f32>)> {
        let mut points = Vec::new();
        history.visit(from, to, |position, row| {
            points.push((position, row.get(0)))
        });
        points
    }

    #[test]
    fn recent_slots_are_exact_and_older_ones_are_bucket_averages() {
        // Even bucket lengths put bucket middles at half slots, telling the tiers apart.
        let mut history = History::<2>::new(layout(20, 4, 25));
        for slot in 0..100 {
            history.write(slot, &[slot as f32, 1.0]);
        }
        let points = collect(&history, 0, 99);
        // Fine tier holds slots 80..=99; everything before comes from 5-slot buckets.
        let fine: Vec<_> = points
            .iter()
            .filter(|(position, _)| position.fract() == 0.0)
            .collect();
        assert_eq!(fine.len(), 20);
        assert_eq!(fine[0], &(80.0, Some(80.0)));
        let coarse: Vec<_> = points
            .iter()
            .filter(|(position, _)| position.fract() != 0.0)
            .collect();
        assert!(!coarse.is_empty());
        for (position, value) in coarse {
            // Bucket b averages slots 4b..4b+3, whose mean is its middle position.
            assert!(
                (value.unwrap() - *position as f32).abs() < 0.3,
                "{position}: {value:?}"
            );
            assert!(*position < 80.0);
        }
        // Times never go backwards and never overlap.
        assert!(points.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn rows_of_gaps_alone_allocate_nothing_and_history_starts_at_the_first_value() {
        let mut history = History::<2>::new(layout(4, 2, 3));
        history.write(10, &[f32::NAN, f32::NAN]);
        history.write(11, &[f32::NAN, f32::NAN]);
        assert_eq!(history.fine.heap_bytes() + history.coarse.heap_bytes(), 0);
        assert!(history.fine_row(11).is_none());
        history.write(12, &[1.0, f32::NAN]);
        assert!(history.fine.heap_bytes() > 0);
        assert!(
            history.fine_row(11).is_none(),
            "history starts at its first value"
        );
        assert_eq!(history.fine_row(12).and_then(|row| row.get(0)), Some(1.0));
        // Once started, a row of gaps is stored as one.
        history.write(13, &[f32::NAN, f32::NAN]);
        assert_eq!(history.fine_row(13).and_then(|row| row.get(0)), None);
        assert!(history.fine_row(13).is_some());
    }

    #[test]
    fn skipped_slots_and_slots_after_the_last_write_are_gaps() {
        let mut history = History::<2>::new(layout(50, 0, 0));
        history.write(10, &[1.0, 1.0]);
        history.write(13, &[3.0, 3.0]);
        let points = collect(&history, 0, 15);
        assert_eq!(
            points,
            vec![
                (10.0, Some(1.0)),
                (11.0, None),
                (12.0, None),
                (13.0, Some(3.0)),
                (14.0, None),
                (15.0, None)
            ]
        );
    }

    #[test]
    fn a_gap_longer_than_the_ring_clears_it() {
        let mut history = History::<2>::new(layout(8, 0, 0));
        for slot in 0..8 {
            history.write(slot, &[5.0, 5.0]);
        }
        history.write(100, &[7.0, 7.0]);
        let points = collect(&history, 90, 100);
        assert_eq!(points.last(), Some(&(100.0, Some(7.0))));
        assert!(
            points[..points.len() - 1]
                .iter()
                .all(|(_, value)| value.is_none())
        );
    }

    #[test]
    fn nan_values_are_gaps_in_both_tiers() {
        let mut history = History::<2>::new(layout(4, 2, 10));
        for slot in 0..12 {
            history.write(slot, &[f32::NAN, 2.0]);
        }
        let mut seen = 0;
        history.visit(0, 11, |_, row| {
            seen += 1;
            assert_eq!(row.get(0), None);
            assert_eq!(row.get(1), Some(2.0));
        });
        assert!(seen > 4);
    }

    #[test]
    fn growing_the_fine_tier_keeps_what_it_had_and_then_holds_more() {
        let mut history = History::<2>::new(layout(10, 4, 40));
        for slot in 0..30 {
            history.write(slot, &[slot as f32, 0.0]);
        }
        history.resize_fine(100);
        for slot in 30..80 {
            history.write(slot, &[slot as f32, 0.0]);
        }
        let fine: Vec<_> = collect(&history, 0, 79)
            .into_iter()
            .filter(|(position, _)| position.fract() == 0.0)
            .collect();
        // Slots 20..=79 are at full resolution: the 10 kept at growth plus 50 new ones.
        assert_eq!(fine.first(), Some(&(20.0, Some(20.0))));
        assert_eq!(fine.len(), 60);
        history.resize_fine(10);
        let fine_after: Vec<_> = collect(&history, 0, 79)
            .into_iter()
            .filter(|(position, _)| position.fract() == 0.0)
            .collect();
        // The ring keeps 70..=79; 70 and 71 share a bucket with older slots, so the bucket
        // average stands for them and full resolution starts at the bucket boundary.
        assert_eq!(fine_after.first(), Some(&(72.0, Some(72.0))));
    }

    #[test]
    fn older_slots_are_ignored() {
        let mut history = History::<2>::new(layout(10, 0, 0));
        history.write(5, &[1.0, 1.0]);
        history.write(3, &[9.0, 9.0]);
        assert_eq!(collect(&history, 0, 5), vec![(5.0, Some(1.0))]);
    }
}
