//! Build-time configuration: application id, version and install directories.
//!
//! Meson passes these through environment variables when it drives cargo; a plain `cargo build`
//! falls back to the defaults below, so the binary also runs straight from the tree.

/// The application id (`io.github.hangar_vm.Hangar`, or `….Devel` for development builds).
pub const APP_ID: &str = match option_env!("HANGAR_APP_ID") {
    Some(id) => id,
    None => "io.github.hangar_vm.Hangar",
};

/// The GSettings schema id. It stays the same for every profile so settings carry over.
pub const SCHEMA_ID: &str = "io.github.hangar_vm.Hangar";

/// The gettext domain of every translatable string.
pub const GETTEXT_PACKAGE: &str = "hangar";

/// The version shown in the About window.
pub const VERSION: &str = match option_env!("HANGAR_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};

/// `default` or `development`; the latter gets a striped header bar and the `.Devel` id.
/// Without meson, the build type decides, as meson's profiles do (development builds are
/// debug builds): a release build from the tree looks, and costs, what an installed one
/// does. The stripe's pattern is an SVG, which loads librsvg (6.3 MiB resident).
pub const PROFILE: &str = match option_env!("HANGAR_PROFILE") {
    Some(profile) => profile,
    None if cfg!(debug_assertions) => "development",
    None => "default",
};

/// Where compiled translations live. Uninstalled builds use the meson build tree if present.
pub const LOCALEDIR: &str = match option_env!("HANGAR_LOCALEDIR") {
    Some(dir) => dir,
    None => "/usr/share/locale",
};

/// Where `data/` (the demo fleet among it) is installed; the source tree for uninstalled builds.
pub const PKGDATADIR: &str = match option_env!("HANGAR_PKGDATADIR") {
    Some(dir) => dir,
    None => concat!(env!("CARGO_MANIFEST_DIR"), "/data"),
};

/// Whether this is a development build.
pub fn is_development() -> bool {
    PROFILE == "development"
}
