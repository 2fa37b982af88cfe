//! How Hangar uses glibc's allocator: the tuning set before any thread starts, and handing the
//! pages of a finished burst of temporary allocations back to the system.

/// Tunes glibc's allocator for a long-running GUI with worker threads.
///
/// One arena for every thread: glibc gives each thread that allocates its own arena (up to 8 per
/// core). The driver's worker threads allocate and free libvirt's replies all the time, and
/// every arena keeps its own freed pages: with 2000 machines that was ~45 MB of resident memory
/// holding nothing. The threads mostly wait on libvirt or the frame clock, so contention is low.
///
/// A fixed mmap threshold: by default glibc raises the threshold to the size of any large block
/// freed, so from the second frame on the renderer's paint surface (as large as the redrawn part
/// of the window, ~5.5 MB for a 1500×960 window) comes from the heap and its pages stay resident
/// between frames. With the threshold fixed at glibc's default, blocks of 128 KiB and more get
/// their own mappings and go back to the system when freed: 5.5 MiB less resident at 2000
/// machines, for ≈0.2 % of a core more (docs/benchmarks.md).
///
/// # Safety
/// Call it first thing in `main`, before any other thread exists: the arena limit only binds
/// threads that have not allocated yet.
pub unsafe fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; the caller runs before other
    // threads, so no allocation is under way.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Gives the whole free pages inside the heap back to the system (`malloc_trim`).
///
/// For after a burst of temporary allocations that will not come back: a driver that runs in
/// Hangar's own process (`test:///FILE`, and libvirt's ESX and Hyper-V drivers; see
/// `ParsedUri::runs_in_process`) parses its whole inventory when the connection opens, and the
/// parse's document tree is freed around the definitions it keeps. The holes it leaves were
/// touched, so they stay resident until something reuses them; returned now, only what Hangar
/// later fills comes back (≈6 MiB less resident with 2000 test machines, docs/benchmarks.md).
/// It walks the heap once under the allocator's lock: ≈4 ms with a 90 MB heap.
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's locks itself and frees nothing in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
