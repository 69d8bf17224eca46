//! What an idle mote gives back. Before the interactive mode blocks waiting
//! for the user, it drops its page-table mappings of its own machine code
//! (`madvise(MADV_DONTNEED)` on the read-only text segment). Those pages are
//! clean copies of the binary in the page cache: nothing is lost, and the
//! next keystroke faults back in only the code it runs. What stays resident
//! while idle is mote's private memory (heap, stack, data), so its RSS says
//! what an idle mote really holds. The bench prints both parts.

/// Drop the mappings of `[__executable_start, etext)`: the ELF headers and
/// the text, which are never written (relocations go to the RELRO and data
/// segments after it, which this range does not reach).
pub fn release_code_pages() {
    extern "C" {
        // Defined by the linker's default script (GNU ld).
        static __executable_start: u8;
        static etext: u8;
    }
    const PAGE: usize = 4096;
    let (start, end) = (
        (&raw const __executable_start) as usize,
        (&raw const etext) as usize,
    );
    // Whole pages only: round the start up and the end down.
    let (start, end) = ((start + PAGE - 1) & !(PAGE - 1), end & !(PAGE - 1));
    if end > start {
        // SAFETY: the range lies inside this executable's read-only, file-backed
        // mappings; MADV_DONTNEED on them only drops page-table entries.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn code_still_runs_after_its_pages_are_released() {
        super::release_code_pages();
        // Everything after this runs on code faulted back in from the file.
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(v.iter().sum::<u64>(), 500_500);
        assert_eq!(
            format!(
                "{:?}",
                crate::json::value::parse("[1,2]").map(|v| v.to_json())
            ),
            "Ok(\"[1,2]\")"
        );
    }
}
