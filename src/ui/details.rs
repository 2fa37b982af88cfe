//! The VM page's detail tabs — Overview, Hardware and XML — and the Delete dialog. Each tab is
//! a relm4 component that reads the machine's definition through the driver (commands, never
//! on the GTK thread) and applies changes with the plans of the GTK-free `hangar::details`.
//!
//! The window calls [`Details::show`] whenever it refreshes the VM page (every driver batch);
//! the tabs hear about it only when the machine or libvirt's facts about it changed.

pub mod delete_dialog;
mod hardware;
mod overview;
mod source_view;
mod widgets;
mod xml;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use relm4::gtk::prelude::*;
use relm4::prelude::*;

use hangar::driver::{Connection, DomainInfo, NodeInfo};
use hangar::i18n::gettext;
use hangar::model::{ConnectionId, DomainUuid};

use hardware::HardwareTab;
use overview::OverviewTab;
use xml::XmlTab;

/// The machine the tabs show, with what the window knows about it.
#[derive(Debug, Clone)]
pub struct DetailsTarget {
    pub connection: Connection,
    pub uuid: DomainUuid,
    pub info: Arc<DomainInfo>,
    pub node: Option<NodeInfo>,
    pub host_label: String,
}

impl DetailsTarget {
    /// Whether both describe the same machine (not necessarily the same facts).
    pub fn same_machine(&self, other: &DetailsTarget) -> bool {
        self.connection.id() == other.connection.id() && self.uuid == other.uuid
    }
}

/// What every tab understands.
#[derive(Debug)]
pub enum TabInput<T> {
    /// Show this machine (another one, or new facts about the same one).
    Show(Box<DetailsTarget>),
    /// The tab's own messages.
    Tab(T),
}

/// The three tabs, added to the VM page's view stack.
pub struct Details {
    overview: Controller<OverviewTab>,
    hardware: Controller<HardwareTab>,
    xml: Rc<LazyXmlTab>,
    /// What the tabs were last told: the machine and the facts (held, so that comparing by
    /// pointer can never mistake a new allocation for the old one).
    shown: Option<(ConnectionId, DomainUuid, Arc<DomainInfo>)>,
}

/// The XML tab, made the first time it shows. Its source view loads GtkSourceView's language
/// and style definitions, about 1.5 MB of heap that a session which never opens the tab
/// would carry for nothing.
struct LazyXmlTab {
    /// What the view stack holds; the tab goes inside when made.
    holder: gtk::Box,
    tab: RefCell<Option<Controller<XmlTab>>>,
    /// The machine to show once the tab is made.
    pending: RefCell<Option<DetailsTarget>>,
}

impl LazyXmlTab {
    fn new() -> Rc<Self> {
        let lazy = Rc::new(LazyXmlTab {
            holder: gtk::Box::new(gtk::Orientation::Vertical, 0),
            tab: RefCell::default(),
            pending: RefCell::default(),
        });
        let weak = Rc::downgrade(&lazy);
        lazy.holder.connect_map(move |_| {
            if let Some(lazy) = weak.upgrade() {
                lazy.make();
            }
        });
        lazy
    }

    /// Makes the tab (once) and tells it the machine shown meanwhile.
    fn make(&self) {
        if self.tab.borrow().is_some() {
            return;
        }
        let tab = XmlTab::builder().launch(()).detach();
        tab.widget().set_vexpand(true);
        self.holder.append(tab.widget());
        if let Some(target) = self.pending.take() {
            tab.emit(TabInput::Show(Box::new(target)));
        }
        *self.tab.borrow_mut() = Some(tab);
    }

    fn show(&self, target: DetailsTarget) {
        match &*self.tab.borrow() {
            Some(tab) => tab.emit(TabInput::Show(Box::new(target))),
            None => *self.pending.borrow_mut() = Some(target),
        }
    }
}

impl Details {
    /// Builds the tabs and adds them to `stack` as `overview`, `hardware` and `xml`.
    pub fn new(stack: &adw::ViewStack) -> Details {
        let overview = OverviewTab::builder().launch(()).detach();
        let hardware = HardwareTab::builder().launch(()).detach();
        let xml = LazyXmlTab::new();
        stack
            .add_titled(overview.widget(), Some("overview"), &gettext("Overview"))
            .set_icon_name(Some("document-properties-symbolic"));
        stack
            .add_titled(hardware.widget(), Some("hardware"), &gettext("Hardware"))
            .set_icon_name(Some("preferences-system-devices-symbolic"));
        stack
            .add_titled(&xml.holder, Some("xml"), &gettext("XML"))
            .set_icon_name(Some("text-x-generic-symbolic"));
        Details {
            overview,
            hardware,
            xml,
            shown: None,
        }
    }

    /// Shows `target`; cheap when nothing changed (the window calls this on every tick).
    pub fn show(&mut self, target: DetailsTarget) {
        if let Some((connection, uuid, info)) = &self.shown
            && *connection == target.connection.id()
            && *uuid == target.uuid
            && Arc::ptr_eq(info, &target.info)
        {
            return;
        }
        self.shown = Some((target.connection.id(), target.uuid, target.info.clone()));
        self.overview.emit(TabInput::Show(Box::new(target.clone())));
        self.hardware.emit(TabInput::Show(Box::new(target.clone())));
        self.xml.show(target);
    }
}
