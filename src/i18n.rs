//! Gettext helpers: set-up of the `hangar` text domain and formatting of translated strings
//! with named `{placeholders}`, so translators can reorder them.

use gettextrs::{LocaleCategory, bind_textdomain_codeset, bindtextdomain, setlocale, textdomain};

pub use gettextrs::{gettext, ngettext, pgettext};

use crate::config;

/// Sets the locale from the environment and binds the text domain to the installed catalogues,
/// or to the ones the build script compiled when running uninstalled.
///
/// # Safety
/// `setlocale` races with every other thread that reads the locale (which includes any libc
/// call that formats or converts text), so this must run before the process starts a thread.
pub unsafe fn init() {
    // SAFETY: the caller guarantees that no other thread exists yet.
    unsafe { setlocale(LocaleCategory::LcAll, "") };
    let localedir = match option_env!("HANGAR_LOCALEDIR") {
        Some(dir) => dir,
        None => concat!(env!("OUT_DIR"), "/locale"),
    };
    // Failures here only mean untranslated English text, never a broken app.
    let _ = bindtextdomain(config::GETTEXT_PACKAGE, localedir);
    let _ = bind_textdomain_codeset(config::GETTEXT_PACKAGE, "UTF-8");
    let _ = textdomain(config::GETTEXT_PACKAGE);
}

/// Replaces each `{name}` in an already translated `template` with its value.
pub fn format(template: &str, args: &[(&str, &str)]) -> String {
    let mut text = template.to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Translates `msgid`, then fills in its `{placeholders}`.
pub fn gettext_f(msgid: &str, args: &[(&str, &str)]) -> String {
    format(&gettext(msgid), args)
}

/// Plural-aware `gettext_f`: picks the form for `n`, then fills in its `{placeholders}`.
pub fn ngettext_f(singular: &str, plural: &str, n: u32, args: &[(&str, &str)]) -> String {
    format(&ngettext(singular, plural, n), args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_by_name_in_any_order() {
        assert_eq!(
            format("{b} then {a}, {b} again", &[("a", "1"), ("b", "2")]),
            "2 then 1, 2 again"
        );
        assert_eq!(format("no placeholders", &[("a", "1")]), "no placeholders");
    }
}
