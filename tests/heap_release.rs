//! `heap::release_free_pages` hands the pages of freed blocks inside the heap back to the
//! system. Its own test binary, so no other test allocates in the process meanwhile.

use hangar::heap;

/// The process's resident set in KiB, from `/proc/self/status`.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[test]
fn freed_holes_between_kept_blocks_leave_the_resident_set() {
    // 48 MiB in 1 KiB blocks, each written so its page is resident; every 16th is kept, so
    // the freed ones coalesce into 15 KiB holes that glibc cannot return by trimming the
    // heap's top (the last block is kept, too).
    const BLOCKS: usize = 48 * 1024;
    let mut blocks: Vec<Option<Box<[u8; 1024]>>> = (0..BLOCKS)
        .map(|index| Some(Box::new([index as u8 | 1; 1024])))
        .collect();
    for (index, block) in blocks.iter_mut().enumerate() {
        if index % 16 != 15 {
            *block = None;
        }
    }
    let before = resident_kib();
    heap::release_free_pages();
    let after = resident_kib();
    let kept: u64 = blocks
        .iter()
        .flatten()
        .map(|block| u64::from(block[0]))
        .sum();
    assert!(kept > 0, "the kept blocks are still readable");
    assert!(
        before.saturating_sub(after) >= 32 * 1024,
        "expected at least 32 MiB back, resident {before} KiB before and {after} KiB after"
    );
}
