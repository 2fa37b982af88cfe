//! Status-page icons given only when the page first shows.
//!
//! GTK measures every page of a stack, shown or not, and measuring a status page loads its
//! 128 px icon. Adwaita ships drawn PNGs of its symbolic icons up to 96 px only, so a 128 px
//! one comes from its SVG, and that loads librsvg: 6.3 MiB resident, for pages such as "No
//! Results Found" that many sessions never show.

use gtk::prelude::*;

/// Gives `page` the icon `icon_name` when it is first mapped. A page is mapped as its stack
/// switches to it, before the next layout, so it is never drawn without its icon.
pub fn set_when_shown(page: &adw::StatusPage, icon_name: &'static str) {
    page.connect_map(move |page| {
        if page.icon_name().is_none() {
            page.set_icon_name(Some(icon_name));
        }
    });
}
