//! A ring of history rows kept as packed blocks of 32 rows. Each finished block is stored
//! column by column: a column that does not change costs three bytes, one that varies costs as
//! many bits per row as its spread needs, gaps are a bit mask, and when smaller so are the rows
//! holding a code most rows share (zero, for a disk at rest between writes) or the rows
//! repeating the row before (a figure that stands between reads). An idle machine's steady
//! memory size and its quiet disks and network then cost almost nothing. Only the newest block
//! is kept unpacked while it fills.

use std::collections::VecDeque;

use super::codec::GAP;

/// Rows in one block (one bit each in a column's gap mask).
pub(crate) const BLOCK_ROWS: u32 = 32;

/// Column tag: every row of the column is a gap.
const ALL_GAPS: u8 = 0xFF;
/// Column tag bit: some rows are gaps, and a 32-bit mask of them follows.
const HAS_GAPS: u8 = 0x80;
/// Column tag bit: many rows hold one code (zero, for a disk at rest), and a 32-bit mask of
/// them and that code follow; only the other rows are packed.
const HAS_COMMON: u8 = 0x40;
/// Column tag bit: many rows repeat the row before them (a value that stands between reads),
/// and a 32-bit mask of them follows; only the other rows are packed.
const HAS_REPEATS: u8 = 0x20;
/// Column tag bits: how many bits each packed row's offset from their minimum takes.
const WIDTH: u8 = 0x1F;

/// Rows `0..` of one history, `M` codes each, of which the last `capacity` rows (up to the
/// newest written) stay readable. Rows skipped between writes, and rows never written, read
/// back as gaps. Allocates nothing until the first write.
#[derive(Debug, Clone)]
pub(crate) struct BlockRing<const M: usize> {
    capacity: u32,
    /// Added to every index before it is split into block and row: rings given different
    /// phases finish their blocks at different writes, so a fleet's histories do not all pack
    /// a block in the same tick. Everything below is in these shifted indexes.
    phase: u32,
    /// The block number of `sealed[0]` (of `open` while nothing is sealed).
    first_block: u32,
    /// Packed blocks, oldest first, numbered from `first_block`.
    sealed: VecDeque<Box<[u8]>>,
    /// The rows written so far of the block after the sealed ones.
    open: Vec<[u16; M]>,
    /// Whether anything was written yet.
    started: bool,
}

impl<const M: usize> BlockRing<M> {
    /// A ring keeping `capacity` rows, whose blocks start at indexes `-phase` modulo 32.
    pub fn new(capacity: u32, phase: u32) -> Self {
        Self {
            capacity: capacity.max(1),
            phase: phase % BLOCK_ROWS,
            first_block: 0,
            sealed: VecDeque::new(),
            open: Vec::new(),
            started: false,
        }
    }

    /// The number of the open block.
    fn open_block(&self) -> u32 {
        self.first_block + self.sealed.len() as u32
    }

    /// The row after the last one written.
    fn next_row(&self) -> u32 {
        self.open_block() * BLOCK_ROWS + self.open.len() as u32
    }

    /// Writes `row` at `index`: after the last row written (the rows between become gaps), or
    /// over the last row written. An older index is ignored.
    pub fn set(&mut self, index: u32, row: [u16; M]) {
        let index = index.saturating_add(self.phase);
        if !self.started || index >= self.next_row().saturating_add(self.capacity) {
            // First write, or a skip longer than the ring: nothing before `index` is kept.
            self.restart_at(index);
        }
        let next = self.next_row();
        if index < next {
            if index + 1 == next
                && let Some(last) = self.open.last_mut()
            {
                *last = row;
            }
            return;
        }
        let target_block = index / BLOCK_ROWS;
        while self.open_block() < target_block {
            self.open.resize(BLOCK_ROWS as usize, [GAP; M]);
            let packed = pack(&self.open);
            self.sealed.push_back(packed);
            self.open.clear();
        }
        self.open.resize((index % BLOCK_ROWS) as usize, [GAP; M]);
        self.open.push(row);
        self.drop_old();
    }

    /// Starts empty at `index`'s block, with the rows before `index` as gaps.
    fn restart_at(&mut self, index: u32) {
        self.sealed = VecDeque::new();
        self.open = Vec::with_capacity(BLOCK_ROWS as usize);
        self.first_block = index / BLOCK_ROWS;
        self.started = true;
    }

    /// Changes how many rows stay readable, dropping blocks no longer needed.
    pub fn set_capacity(&mut self, capacity: u32) {
        self.capacity = capacity.max(1);
        self.drop_old();
    }

    /// Drops the blocks that lie wholly before the last `capacity` rows.
    fn drop_old(&mut self) {
        let keep_from = self.next_row().saturating_sub(self.capacity);
        while !self.sealed.is_empty() && (self.first_block + 1) * BLOCK_ROWS <= keep_from {
            self.sealed.pop_front();
            self.first_block += 1;
        }
    }

    /// The row at `index`; all gaps when it was never written or is no longer kept.
    #[cfg(test)]
    pub fn get(&self, index: u32) -> [u16; M] {
        self.get_shifted(index.saturating_add(self.phase))
    }

    /// The row at the shifted `index`.
    fn get_shifted(&self, index: u32) -> [u16; M] {
        let block = index / BLOCK_ROWS;
        let row = (index % BLOCK_ROWS) as usize;
        if !self.started || block < self.first_block {
            return [GAP; M];
        }
        if block == self.open_block() {
            return self.open.get(row).copied().unwrap_or([GAP; M]);
        }
        match self.sealed.get((block - self.first_block) as usize) {
            Some(packed) => unpack_row(packed, row),
            None => [GAP; M],
        }
    }

    /// A reader for rows read in increasing order, unpacking each block once.
    pub fn reader(&self) -> Reader<'_, M> {
        Reader {
            ring: self,
            block: None,
            rows: [[GAP; M]; BLOCK_ROWS as usize],
        }
    }

    /// Bytes this ring holds on the heap (packed blocks, the open block and the block list).
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        self.sealed.iter().map(|packed| packed.len()).sum::<usize>()
            + self.sealed.capacity() * std::mem::size_of::<Box<[u8]>>()
            + self.open.capacity() * std::mem::size_of::<[u16; M]>()
    }
}

/// Reads rows of a [`BlockRing`], keeping the last packed block it needed unpacked.
pub(crate) struct Reader<'a, const M: usize> {
    ring: &'a BlockRing<M>,
    block: Option<u32>,
    rows: [[u16; M]; BLOCK_ROWS as usize],
}

impl<const M: usize> Reader<'_, M> {
    /// The row at `index`: all gaps when it was never written or is no longer kept.
    pub fn row(&mut self, index: u32) -> [u16; M] {
        let ring = self.ring;
        let index = index.saturating_add(ring.phase);
        let block = index / BLOCK_ROWS;
        if !ring.started || block < ring.first_block || block >= ring.open_block() {
            return ring.get_shifted(index);
        }
        if self.block != Some(block) {
            match ring.sealed.get((block - ring.first_block) as usize) {
                Some(packed) => unpack(packed, &mut self.rows),
                None => return [GAP; M],
            }
            self.block = Some(block);
        }
        self.rows[(index % BLOCK_ROWS) as usize]
    }
}

/// How one column of a block is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// Bit `r`: row `r` is a gap.
    gaps: u32,
    /// Rows holding one frequent code, which is stored once: (mask, code).
    common: Option<(u32, u16)>,
    /// Rows holding the same code as the row before them (0: not used).
    repeats: u32,
    /// The smallest packed code (`None`: every row is a gap, common or a repeat).
    min: Option<u16>,
    /// Bits per packed row.
    width: u32,
}

impl Shape {
    /// The shape of `codes` (one column of a block), choosing the smallest of plain packing,
    /// packing with repeats and packing with a common code.
    fn of(codes: &[u16; BLOCK_ROWS as usize]) -> Self {
        let gaps = mask_where(codes, |code| code == GAP);
        let repeats = (1..codes.len())
            .filter(|row| codes[*row] != GAP && codes[*row] == codes[row - 1])
            .fold(0u32, |mask, row| mask | 1 << row);
        let plain = Self::packing(codes, gaps, None, 0);
        let with_repeats = Self::packing(codes, gaps, None, repeats);
        let best = if repeats != 0 && with_repeats.size() < plain.size() {
            with_repeats
        } else {
            plain
        };
        let mut sorted = *codes;
        sorted.sort_unstable();
        let Some(frequent) = sorted
            .chunk_by(|a, b| a == b)
            .filter(|run| run[0] != GAP)
            .max_by_key(|run| run.len())
            .map(|run| run[0])
        else {
            return best;
        };
        let with_common = Self::packing(
            codes,
            gaps,
            Some((mask_where(codes, |code| code == frequent), frequent)),
            0,
        );
        if with_common.size() < best.size() {
            with_common
        } else {
            best
        }
    }

    /// Packs the rows that are neither gaps, nor the common code, nor repeats.
    fn packing(codes: &[u16], gaps: u32, common: Option<(u32, u16)>, repeats: u32) -> Self {
        let skipped = gaps | common.map_or(0, |(mask, _)| mask) | repeats;
        let packed = codes
            .iter()
            .enumerate()
            .filter(|(row, _)| skipped & 1 << row == 0)
            .map(|(_, code)| *code);
        let (min, max) = (packed.clone().min(), packed.max());
        Self {
            gaps,
            common,
            repeats,
            min,
            width: match (min, max) {
                (Some(min), Some(max)) => u16::BITS - (max - min).leading_zeros(),
                _ => 0,
            },
        }
    }

    /// The rows not packed in bits: gaps, the common code's and repeats.
    fn skipped(&self) -> u32 {
        self.gaps | self.common.map_or(0, |(mask, _)| mask) | self.repeats
    }

    /// Rows packed in bits.
    fn packed_rows(&self) -> u32 {
        BLOCK_ROWS - self.skipped().count_ones()
    }

    /// Bytes the column takes in the block.
    fn size(&self) -> usize {
        if self.gaps == u32::MAX {
            return 1;
        }
        let gaps = if self.gaps != 0 { 4 } else { 0 };
        let common = if self.common.is_some() { 6 } else { 0 };
        let repeats = if self.repeats != 0 { 4 } else { 0 };
        let bits = (self.packed_rows() * self.width).div_ceil(8) as usize;
        3 + gaps + common + repeats + bits
    }
}

/// The mask of the rows whose code passes `test`.
fn mask_where(codes: &[u16], test: impl Fn(u16) -> bool) -> u32 {
    codes
        .iter()
        .enumerate()
        .filter(|(_, code)| test(**code))
        .fold(0, |mask, (row, _)| mask | 1 << row)
}

/// Packs a full block (`BLOCK_ROWS` rows), column by column. A column is a tag byte, then
/// unless all its rows are gaps: the gap mask if it has gaps (4 bytes, bit `r` for row `r`),
/// the common code's mask and the code if it has one (6 bytes), the repeats' mask if it has
/// them (4 bytes), the smallest packed code (2 bytes), and the other rows' offsets from it in
/// the tag's width of bits, least significant bit first.
fn pack<const M: usize>(rows: &[[u16; M]]) -> Box<[u8]> {
    debug_assert_eq!(rows.len(), BLOCK_ROWS as usize);
    let shapes: [Shape; M] = std::array::from_fn(|column| {
        Shape::of(&std::array::from_fn(|row| {
            rows.get(row).map_or(GAP, |codes| codes[column])
        }))
    });
    let size = shapes.iter().map(Shape::size).sum();
    let mut out = Vec::with_capacity(size);
    for (column, shape) in shapes.iter().enumerate() {
        if shape.gaps == u32::MAX {
            out.push(ALL_GAPS);
            continue;
        }
        let mut tag = shape.width as u8;
        if shape.gaps != 0 {
            tag |= HAS_GAPS;
        }
        if shape.common.is_some() {
            tag |= HAS_COMMON;
        }
        if shape.repeats != 0 {
            tag |= HAS_REPEATS;
        }
        out.push(tag);
        if shape.gaps != 0 {
            out.extend_from_slice(&shape.gaps.to_le_bytes());
        }
        if let Some((mask, code)) = shape.common {
            out.extend_from_slice(&mask.to_le_bytes());
            out.extend_from_slice(&code.to_le_bytes());
        }
        if shape.repeats != 0 {
            out.extend_from_slice(&shape.repeats.to_le_bytes());
        }
        let skipped = shape.skipped();
        let min = shape.min.unwrap_or(0);
        out.extend_from_slice(&min.to_le_bytes());
        let mut bits: u32 = 0;
        let mut pending = 0;
        for (_, codes) in rows
            .iter()
            .enumerate()
            .filter(|(row, _)| skipped & 1 << row == 0)
        {
            bits |= u32::from(codes[column] - min) << pending;
            pending += shape.width;
            while pending >= 8 {
                out.push(bits as u8);
                bits >>= 8;
                pending -= 8;
            }
        }
        if pending > 0 {
            out.push(bits as u8);
        }
    }
    debug_assert_eq!(out.len(), size);
    out.into_boxed_slice()
}

/// One packed column: where its parts are in the block.
struct Column<'a> {
    gaps: u32,
    /// The rows holding the common code, and the code.
    common: (u32, u16),
    /// The rows holding the code of the row before them.
    repeats: u32,
    min: u16,
    width: u32,
    bits: &'a [u8],
}

impl Column<'_> {
    /// The code of `row`.
    fn code(&self, row: usize) -> u16 {
        let bit = 1u32 << row;
        if self.gaps & bit != 0 {
            return GAP;
        }
        let (common_rows, common) = self.common;
        if common_rows & bit != 0 {
            return common;
        }
        // A repeat has the code of the last row up to it that is not one (never a gap).
        let up_to_row = u32::MAX >> (31 - row);
        let source = 31 - (!self.repeats & up_to_row).leading_zeros();
        // That row's place among the packed rows.
        let packed = !(self.gaps | common_rows | self.repeats);
        let rank = (packed & ((1u32 << source) - 1)).count_ones();
        self.min + read_bits(self.bits, (rank * self.width) as usize, self.width)
    }
}

/// Reads a packed block's bytes in order; past the end it reads nothing.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> &'a [u8] {
        let part = self.bytes.get(self.at..self.at + len).unwrap_or(&[]);
        self.at += len;
        part
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).first().copied()
    }

    fn code(&mut self) -> Option<u16> {
        self.take(2).try_into().ok().map(u16::from_le_bytes)
    }

    /// A row mask if the tag says one follows, else no rows.
    fn mask(&mut self, present: bool) -> u32 {
        if present {
            self.take(4).try_into().map_or(u32::MAX, u32::from_le_bytes)
        } else {
            0
        }
    }
}

/// Splits a packed block into its `M` columns.
fn columns<const M: usize>(packed: &[u8]) -> [Column<'_>; M] {
    let mut cursor = Cursor {
        bytes: packed,
        at: 0,
    };
    std::array::from_fn(|_| {
        let tag = cursor.byte().unwrap_or(ALL_GAPS);
        if tag == ALL_GAPS {
            return Column {
                gaps: u32::MAX,
                common: (0, 0),
                repeats: 0,
                min: 0,
                width: 0,
                bits: &[],
            };
        }
        let gaps = cursor.mask(tag & HAS_GAPS != 0);
        let common_rows = cursor.mask(tag & HAS_COMMON != 0);
        let common = if tag & HAS_COMMON != 0 {
            cursor.code().unwrap_or(GAP)
        } else {
            GAP
        };
        let repeats = cursor.mask(tag & HAS_REPEATS != 0);
        let min = cursor.code().unwrap_or(0);
        let width = u32::from(tag & WIDTH);
        let stored = (BLOCK_ROWS - (gaps | common_rows | repeats).count_ones()) * width;
        let bits = cursor.take(stored.div_ceil(8) as usize);
        Column {
            gaps,
            common: (common_rows, common),
            repeats,
            min,
            width,
            bits,
        }
    })
}

/// `width` bits (at most 16) starting at bit `at`, least significant bit first.
fn read_bits(bytes: &[u8], at: usize, width: u32) -> u16 {
    if width == 0 {
        return 0;
    }
    let mut window: u32 = 0;
    for (shift, byte) in bytes.iter().skip(at / 8).take(3).enumerate() {
        window |= u32::from(*byte) << (8 * shift);
    }
    ((window >> (at % 8)) & ((1 << width) - 1)) as u16
}

/// Row `row` of a packed block.
fn unpack_row<const M: usize>(packed: &[u8], row: usize) -> [u16; M] {
    let columns = columns::<M>(packed);
    std::array::from_fn(|column| columns[column].code(row))
}

/// Every row of a packed block.
fn unpack<const M: usize>(packed: &[u8], rows: &mut [[u16; M]; BLOCK_ROWS as usize]) {
    for (column, packed) in columns::<M>(packed).iter().enumerate() {
        for (row, codes) in rows.iter_mut().enumerate() {
            codes[column] = packed.code(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible mix of codes: small and large spreads, runs and gaps, a column that is
    /// mostly zero with scattered different values (packed with a common code), and one whose
    /// widely spread values stand for ten rows at a time (packed with repeats).
    fn sample_row(index: u32) -> [u16; 6] {
        let noise = index.wrapping_mul(2_654_435_761) >> 16;
        [
            0x4000 + (noise % 7) as u16,
            if index % 5 == 0 {
                GAP
            } else {
                (noise % 0xFEFF) as u16
            },
            0x1234,
            if index % 40 < 20 { GAP } else { 0 },
            match index % 9 {
                4 => 0x4000 + (noise % 64) as u16,
                7 => GAP,
                _ => 0,
            },
            match index % 23 {
                0 => GAP,
                _ => 0x3000 + ((index / 10).wrapping_mul(40_503) % 4096) as u16,
            },
        ]
    }

    #[test]
    fn every_row_reads_back_as_written() {
        let mut ring = BlockRing::<6>::new(1000, 0);
        for index in 0..500 {
            ring.set(index, sample_row(index));
        }
        let mut reader = ring.reader();
        for index in 0..500 {
            assert_eq!(ring.get(index), sample_row(index), "row {index}");
            assert_eq!(reader.row(index), sample_row(index), "row {index}");
        }
        assert_eq!(ring.get(500), [GAP; 6], "a row after the last one is a gap");
    }

    #[test]
    fn rings_with_different_phases_pack_at_different_writes_and_read_alike() {
        let mut even = BlockRing::<6>::new(300, 0);
        let mut shifted = BlockRing::<6>::new(300, 13);
        for index in 0..20 {
            even.set(index, sample_row(index));
            shifted.set(index, sample_row(index));
        }
        assert!(even.sealed.is_empty());
        assert_eq!(shifted.sealed.len(), 1, "index 19 starts its second block");
        for index in 20..400 {
            even.set(index, sample_row(index));
            shifted.set(index, sample_row(index));
        }
        let mut reader = shifted.reader();
        for index in 100..400 {
            assert_eq!(shifted.get(index), even.get(index), "row {index}");
            assert_eq!(reader.row(index), sample_row(index), "row {index}");
        }
    }

    #[test]
    fn the_extreme_codes_keep_their_values() {
        let mut ring = BlockRing::<2>::new(100, 0);
        for index in 0..BLOCK_ROWS + 1 {
            let code = if index % 2 == 0 { 0 } else { 0xFEFF };
            ring.set(index, [code, 0xFEFF - code]);
        }
        for index in 0..BLOCK_ROWS {
            let code = if index % 2 == 0 { 0 } else { 0xFEFF };
            assert_eq!(ring.get(index), [code, 0xFEFF - code]);
        }
    }

    #[test]
    fn steady_columns_take_a_few_bytes_a_block() {
        let mut ring = BlockRing::<8>::new(3600, 0);
        for index in 0..3600 {
            ring.set(index, [0x3F80, 0x3F80, 0x4F00, 0x4F00, 0, 0, 0, 0]);
        }
        // Unpacked, an hour of 8 columns is 57 600 bytes; packed, each block is 8 tags and 8
        // minimums.
        assert!(
            ring.heap_bytes() < 3600 * 8 * 2 / 10,
            "{} bytes",
            ring.heap_bytes()
        );
        assert_eq!(ring.get(1234), [0x3F80, 0x3F80, 0x4F00, 0x4F00, 0, 0, 0, 0]);
    }

    #[test]
    fn a_spike_in_a_quiet_column_costs_only_its_own_bits() {
        // A disk at rest that writes once in the block: the zeros are a mask and one code, and
        // only the write is packed. Packed plainly, every row would take 15 bits.
        let mut ring = BlockRing::<1>::new(100, 0);
        for index in 0..=BLOCK_ROWS {
            ring.set(index, [if index == 7 { 0x4700 } else { 0 }]);
        }
        assert!(ring.sealed[0].len() <= 9, "{} bytes", ring.sealed[0].len());
        assert_eq!(ring.get(6), [0]);
        assert_eq!(ring.get(7), [0x4700]);
        assert_eq!(ring.get(8), [0]);
    }

    #[test]
    fn values_that_stand_between_reads_cost_only_their_changes() {
        // A figure read every 10 s and repeated between (or a balloon's): four different
        // values in the block, far apart. Packed plainly every row would take 15 bits.
        let mut ring = BlockRing::<1>::new(100, 0);
        for index in 0..=BLOCK_ROWS {
            ring.set(index, [0x4000 + (index / 10) as u16 * 0x1234]);
        }
        assert!(ring.sealed[0].len() <= 17, "{} bytes", ring.sealed[0].len());
        for index in 0..BLOCK_ROWS {
            assert_eq!(ring.get(index), [0x4000 + (index / 10) as u16 * 0x1234]);
        }
    }

    #[test]
    fn skipped_rows_are_gaps_and_the_last_row_can_be_replaced() {
        let mut ring = BlockRing::<2>::new(200, 0);
        ring.set(10, [1, 1]);
        ring.set(75, [2, 2]);
        ring.set(75, [3, 3]);
        ring.set(74, [9, 9]);
        assert_eq!(ring.get(10), [1, 1]);
        assert_eq!(ring.get(11), [GAP; 2]);
        assert_eq!(ring.get(40), [GAP; 2], "a whole skipped block");
        assert_eq!(ring.get(74), [GAP; 2], "an older row is not written");
        assert_eq!(ring.get(75), [3, 3]);
        assert_eq!(ring.get(9), [GAP; 2], "before the first write");
    }

    #[test]
    fn random_writes_read_back_like_a_plain_map_of_rows() {
        // Writes in order with random skips (some longer than the ring), rewrites of the last
        // row, older writes (ignored) and capacity changes, checked against a map of what was
        // written: within the last `capacity` rows every row must match exactly, except rows
        // that had left a smaller ring before it grew.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = move |below: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % u64::from(below)) as u32
        };
        for phase in [0, 5, 31] {
            let mut capacity = 100;
            let mut ring = BlockRing::<6>::new(capacity, phase);
            let mut written = std::collections::HashMap::new();
            let mut head = 0;
            // Rows before this had left the ring before it last grew.
            let mut kept_from = 0;
            for step in 0..5000 {
                let index = match random(20) {
                    0 => head + 1 + random(3 * capacity),
                    1 => head,
                    2 => head.saturating_sub(1 + random(5)),
                    _ => head + 1,
                };
                let row = sample_row(random(1 << 16));
                ring.set(index, row);
                if step == 0 || index >= head {
                    written.insert(index, row);
                    head = index;
                }
                if random(500) == 0 {
                    kept_from = kept_from.max((head + 1).saturating_sub(capacity));
                    capacity = 40 + random(200);
                    ring.set_capacity(capacity);
                }
                let mut reader = ring.reader();
                for index in (head + 1).saturating_sub(capacity).max(kept_from)..=head + 2 {
                    let expected = if index > head {
                        [GAP; 6]
                    } else {
                        written.get(&index).copied().unwrap_or([GAP; 6])
                    };
                    assert_eq!(
                        ring.get(index),
                        expected,
                        "phase {phase} step {step} row {index}"
                    );
                    assert_eq!(
                        reader.row(index),
                        expected,
                        "phase {phase} step {step} row {index}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_the_last_capacity_rows_are_kept() {
        let mut ring = BlockRing::<1>::new(100, 0);
        for index in 0..1000 {
            ring.set(index, [index as u16]);
        }
        assert_eq!(ring.get(900), [900]);
        assert_eq!(
            ring.get(850),
            [GAP],
            "a block wholly outside the ring is dropped"
        );
        assert!(ring.sealed.len() <= 100 / BLOCK_ROWS as usize + 1);
        ring.set_capacity(10);
        assert!(ring.sealed.len() <= 1);
        assert_eq!(ring.get(999), [999]);
        // A skip longer than the ring forgets everything before it.
        ring.set(5000, [7]);
        assert_eq!(ring.get(999), [GAP]);
        assert_eq!(ring.get(5000), [7]);
    }
}
