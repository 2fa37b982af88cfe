//! Command-line options, compatible with virt-manager's: `--connect URI` (repeatable), the
//! `--show-*` page flags and Hangar's own `--demo`.
//!
//! Parsing is GTK-free so the primary instance can parse what a second launch forwards to it.

use std::fmt;

use crate::i18n::{gettext, gettext_f};

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Connections to open, in the order given.
    pub connect: Vec<String>,
    /// Open the demo fleet.
    pub demo: bool,
    /// A page to show once the window is up.
    pub show: Option<ShowPage>,
    /// Print the version and exit.
    pub version: bool,
    /// Print usage and exit.
    pub help: bool,
}

/// A page requested with one of virt-manager's `--show-*` flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowPage {
    /// `--show-domain-console NAME|UUID`
    DomainConsole(String),
    /// `--show-domain-performance NAME|UUID`
    DomainPerformance(String),
    /// `--show-domain-editor NAME|UUID`
    DomainEditor(String),
    /// `--show-host-summary`
    HostSummary,
}

impl ShowPage {
    /// The domain name or UUID the page is about, if any.
    pub fn domain(&self) -> Option<&str> {
        match self {
            Self::DomainConsole(d) | Self::DomainPerformance(d) | Self::DomainEditor(d) => Some(d),
            Self::HostSummary => None,
        }
    }
}

/// Why the command line could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// An option Hangar does not know.
    UnknownOption(String),
    /// An option that needs a value was last on the line.
    MissingValue(String),
    /// Two `--show-*` flags at once.
    TwoPages,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOption(option) => f.write_str(&gettext_f(
                "Unknown option “{option}”",
                &[("option", option)],
            )),
            Self::MissingValue(option) => f.write_str(&gettext_f(
                "Option “{option}” needs a value",
                &[("option", option)],
            )),
            Self::TwoPages => f.write_str(&gettext("Only one of the --show options can be given")),
        }
    }
}

impl std::error::Error for CliError {}

/// The usage text printed by `--help`, translated.
pub fn usage() -> String {
    let options: [(&str, String); 8] = [
        (
            "-c, --connect URI",
            gettext("Open a connection to URI (may be repeated)"),
        ),
        (
            "    --demo",
            gettext("Open the demo fleet of libvirt test hosts"),
        ),
        (
            "    --show-domain-console NAME|UUID",
            gettext("Show the console of a virtual machine"),
        ),
        (
            "    --show-domain-performance NAME|UUID",
            gettext("Show the performance charts of a virtual machine"),
        ),
        (
            "    --show-domain-editor NAME|UUID",
            gettext("Show the details of a virtual machine"),
        ),
        (
            "    --show-host-summary",
            gettext("Show the summary of the first connection’s host"),
        ),
        ("    --version", gettext("Print the version and exit")),
        ("-h, --help", gettext("Print this help and exit")),
    ];
    let mut text = format!(
        "{}\n\n{}\n\n{}\n",
        gettext("Usage: hangar [OPTION…]"),
        gettext("Manage virtual machines on many libvirt hosts at once."),
        gettext("Options:")
    );
    for (flag, description) in options {
        text.push_str(&format!("  {flag:<40} {description}\n"));
    }
    text
}

/// Parses arguments (without the program name). Accepts both `--opt value` and `--opt=value`.
pub fn parse<I, S>(args: I) -> Result<Options, CliError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut options = Options::default();
    let mut args = args.into_iter().map(|a| a.as_ref().to_owned());
    while let Some(arg) = args.next() {
        let (name, inline_value) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, CliError> {
            match inline_value.clone() {
                Some(value) => Ok(value),
                None => args
                    .next()
                    .ok_or_else(|| CliError::MissingValue(name.to_owned())),
            }
        };
        let page = match name.as_str() {
            "-c" | "--connect" => {
                options.connect.push(value(&name)?);
                None
            }
            "--demo" => {
                options.demo = true;
                None
            }
            "--show-domain-console" => Some(ShowPage::DomainConsole(value(&name)?)),
            "--show-domain-performance" => Some(ShowPage::DomainPerformance(value(&name)?)),
            "--show-domain-editor" => Some(ShowPage::DomainEditor(value(&name)?)),
            "--show-host-summary" => Some(ShowPage::HostSummary),
            "--version" => {
                options.version = true;
                None
            }
            "-h" | "--help" => {
                options.help = true;
                None
            }
            _ => return Err(CliError::UnknownOption(arg)),
        };
        if let Some(page) = page {
            if options.show.is_some() {
                return Err(CliError::TwoPages);
            }
            options.show = Some(page);
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_is_repeatable_and_keeps_order() {
        let options = parse(["-c", "test:///default", "--connect=qemu:///system"]).unwrap();
        assert_eq!(options.connect, ["test:///default", "qemu:///system"]);
        assert!(!options.demo);
    }

    #[test]
    fn show_flags_take_a_domain() {
        let options = parse(["--demo", "--show-domain-console", "web-01"]).unwrap();
        assert!(options.demo);
        assert_eq!(options.show, Some(ShowPage::DomainConsole("web-01".into())));
        assert_eq!(options.show.unwrap().domain(), Some("web-01"));
        let options = parse(["--show-host-summary"]).unwrap();
        assert_eq!(options.show, Some(ShowPage::HostSummary));
    }

    #[test]
    fn errors_name_the_option() {
        assert_eq!(
            parse(["--frobnicate"]),
            Err(CliError::UnknownOption("--frobnicate".into()))
        );
        assert_eq!(
            parse(["--connect"]),
            Err(CliError::MissingValue("--connect".into()))
        );
        assert_eq!(
            parse(["--show-host-summary", "--show-domain-editor", "x"]),
            Err(CliError::TwoPages)
        );
    }
}
