//! The virtual machine page: a header (name, state, host) above tabs. The detail tabs
//! (Overview, Hardware, XML) come from `ui::details`; the Console tab comes from `ui::console`;
//! later tabs (performance) plug into the same view stack.

use adw::prelude::*;

use hangar::fleet::{self, VmSummary};

use hangar::i18n::gettext;

use super::console::ConsoleTab;
use super::details::{Details, DetailsTarget};
use super::labels::{set_icon, set_text};

/// The widgets of the VM page.
pub struct VmPage {
    pub root: gtk::Box,
    pub stack: adw::ViewStack,
    pub details: Details,
    icon: gtk::Image,
    title: gtk::Label,
    subtitle: gtk::Label,
    /// The Console tab (and the consoles detached from it).
    pub console: ConsoleTab,
}

impl VmPage {
    pub fn new() -> Self {
        let icon = gtk::Image::builder().pixel_size(32).build();
        let title = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .css_classes(["title-2"])
            .build();
        let subtitle = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .css_classes(["dim-label"])
            .build();
        let text = gtk::Box::new(gtk::Orientation::Vertical, 2);
        text.set_hexpand(true);
        text.append(&title);
        text.append(&subtitle);
        let header = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        header.set_margin_top(12);
        header.set_margin_start(18);
        header.set_margin_end(18);
        header.append(&icon);
        header.append(&text);

        let stack = adw::ViewStack::new();
        stack.set_vexpand(true);
        let switcher = adw::ViewSwitcherBar::builder()
            .stack(&stack)
            .reveal(true)
            .build();
        let details = Details::new(&stack);

        let console = ConsoleTab::new();
        stack
            .add_titled(console.root(), Some("console"), &gettext("Console"))
            .set_icon_name(Some("video-display-symbolic"));

        let root = gtk::Box::new(gtk::Orientation::Vertical, 6);
        root.append(&header);
        root.append(&stack);
        root.append(&switcher);
        Self {
            root,
            stack,
            details,
            icon,
            title,
            subtitle,
            console,
        }
    }

    /// Adds a tab after the existing ones, named `name` in the view stack.
    pub fn add_tab(&self, child: &impl IsA<gtk::Widget>, name: &str, title: &str, icon: &str) {
        self.stack
            .add_titled(child, Some(name), title)
            .set_icon_name(Some(icon));
    }

    /// Shows one machine: its fleet row in the header and, when its connection is known, the
    /// detail tabs.
    pub fn show(&mut self, vm: &VmSummary, target: Option<DetailsTarget>) {
        // Runs on every statistics tick: unchanged texts are not set again (relayouts).
        set_icon(&self.icon, fleet::state_icon(vm.state));
        set_text(&self.title, &vm.name);
        let state = vm
            .busy
            .clone()
            .unwrap_or_else(|| fleet::state_label(vm.state));
        set_text(&self.subtitle, &format!("{state} · {}", vm.host_label));
        if let Some(target) = target {
            self.details.show(target);
        }
    }
}
