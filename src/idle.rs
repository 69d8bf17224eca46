//! What an idle mote gives back. Before the interactive mode or `mote acp`
//! blocks waiting for input, it drops its page-table mappings of its own
//! read-only segments (`madvise(MADV_DONTNEED)`): the machine code and the
//! constants (.rodata). Those pages are clean copies of the binary in the
//! page cache: nothing is lost, and the next message faults back in only
//! what it runs. What stays resident while idle is mote's private memory
//! (heap, stack, data), so its RSS says what an idle mote really holds. The
//! bench prints both parts.

#[cfg(target_pointer_width = "64")]
type Phdr = libc::Elf64_Phdr;
#[cfg(target_pointer_width = "64")]
type Ehdr = libc::Elf64_Ehdr;
#[cfg(target_pointer_width = "32")]
type Phdr = libc::Elf32_Phdr;
#[cfg(target_pointer_width = "32")]
type Ehdr = libc::Elf32_Ehdr;

/// Drop the mappings of every loadable segment of the executable that is
/// not writable (its program headers say which): headers, code, constants.
/// Writable segments (data, RELRO, bss) are never touched.
pub fn release_code_pages() {
    const PAGE: usize = 4096;
    // SAFETY: getauxval only reads the auxiliary vector.
    let (phdr, phnum) = unsafe {
        (
            libc::getauxval(libc::AT_PHDR) as usize,
            libc::getauxval(libc::AT_PHNUM) as usize,
        )
    };
    if phdr == 0 || phnum == 0 {
        return;
    }
    // SAFETY: AT_PHDR/AT_PHNUM describe this executable's program headers,
    // mapped for the life of the process.
    let headers = unsafe { std::slice::from_raw_parts(phdr as *const Phdr, phnum) };
    // The load bias: where the headers are minus where they were linked
    // (0 for mote's static non-PIE build; not for a PIE test binary).
    let Some(bias) = headers
        .iter()
        .find(|h| h.p_type == libc::PT_PHDR)
        .map(|h| phdr.wrapping_sub(h.p_vaddr as usize))
        .or_else(|| Some(phdr.wrapping_sub(size_of::<Ehdr>() + first_load(headers)?)))
    else {
        return;
    };
    for h in headers
        .iter()
        .filter(|h| h.p_type == libc::PT_LOAD && h.p_flags & libc::PF_W == 0)
    {
        let start = bias.wrapping_add(h.p_vaddr as usize);
        let end = start.wrapping_add(h.p_memsz as usize);
        // Whole pages only: round the start up and the end down.
        let (start, end) = ((start + PAGE - 1) & !(PAGE - 1), end & !(PAGE - 1));
        if end > start {
            // SAFETY: the range lies inside a read-only, file-backed mapping
            // of this executable; MADV_DONTNEED on it only drops page-table
            // entries, and the pages fault back in from the file.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        }
    }
}

/// The link address of the first loadable segment when it starts with the
/// ELF header (the program headers follow it, where every linker puts
/// them): for an executable without PT_PHDR, such as a static one.
fn first_load(headers: &[Phdr]) -> Option<usize> {
    let h = headers.iter().find(|h| h.p_type == libc::PT_LOAD)?;
    (h.p_offset == 0).then_some(h.p_vaddr as usize)
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
