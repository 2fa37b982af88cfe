//! Keyboard and pointer vocabulary of the console: X keysyms (what RFB key events carry), the
//! few GDK key values that need translating, the "Send Key" combinations, and the Linux key
//! codes for sending those combinations through libvirt (`virDomainSendKey`, codeset linux)
//! instead of through the VNC server.

use crate::i18n::{gettext, gettext_f};

/// X keysyms used by the console (values from X11's `keysymdef.h`).
pub mod keysym {
    pub const BACKSPACE: u32 = 0xff08;
    pub const TAB: u32 = 0xff09;
    pub const RETURN: u32 = 0xff0d;
    pub const SYS_REQ: u32 = 0xff15;
    pub const ESCAPE: u32 = 0xff1b;
    pub const PRINT: u32 = 0xff61;
    pub const MODE_SWITCH: u32 = 0xff7e;
    pub const DELETE: u32 = 0xffff;
    pub const F1: u32 = 0xffbe;
    pub const F12: u32 = 0xffc9;
    pub const SHIFT_L: u32 = 0xffe1;
    pub const SHIFT_R: u32 = 0xffe2;
    pub const CONTROL_L: u32 = 0xffe3;
    pub const CONTROL_R: u32 = 0xffe4;
    pub const META_L: u32 = 0xffe7;
    pub const META_R: u32 = 0xffe8;
    pub const ALT_L: u32 = 0xffe9;
    pub const ALT_R: u32 = 0xffea;
    pub const SUPER_L: u32 = 0xffeb;
    pub const SUPER_R: u32 = 0xffec;
    pub const HYPER_L: u32 = 0xffed;
    pub const HYPER_R: u32 = 0xffee;
    pub const ISO_LEVEL3_SHIFT: u32 = 0xfe03;
    pub const ISO_LEFT_TAB: u32 = 0xfe20;
    pub const VOID_SYMBOL: u32 = 0xff_ffff;
    /// Keysyms `0x0100_0000 + code point` name any Unicode character.
    pub const UNICODE_BASE: u32 = 0x0100_0000;
}

/// Linux input event codes (`linux/input-event-codes.h`) for `virDomainSendKey`.
pub mod linux_keycodes {
    pub const KEY_ESC: u32 = 1;
    pub const KEY_BACKSPACE: u32 = 14;
    pub const KEY_LEFTCTRL: u32 = 29;
    pub const KEY_LEFTALT: u32 = 56;
    pub const KEY_F1: u32 = 59;
    pub const KEY_F10: u32 = 68;
    pub const KEY_F11: u32 = 87;
    pub const KEY_F12: u32 = 88;
    /// The PC "Print Screen / SysRq" key.
    pub const KEY_SYSRQ: u32 = 99;
    pub const KEY_DELETE: u32 = 111;

    /// `KEY_F1`…`KEY_F12` (the codes are not contiguous).
    pub fn function_key(n: u8) -> Option<u32> {
        match n {
            1..=10 => Some(KEY_F1 + u32::from(n) - 1),
            11 => Some(KEY_F11),
            12 => Some(KEY_F12),
            _ => None,
        }
    }
}

/// Translates a GDK key value into the keysym to send to the VNC server.
///
/// GDK key values *are* X keysyms for almost every key, so most pass through unchanged. The
/// exceptions are key values that X clients never see from a real keyboard or that the
/// server's keymap does not know:
/// - `ISO_Left_Tab` (what GDK reports for Shift+Tab) becomes `Tab`: Shift is already down.
/// - `Meta_L/R` (what some layouts report for Alt with Shift) become `Alt_L/R`.
/// - `Hyper_L/R` become `Super_L/R` (the PC "Windows" key the guest knows).
/// - Unicode key values of Latin-1 characters become their legacy keysyms, which QEMU's
///   keymaps know; other Unicode key values pass as Unicode keysyms.
/// - `VoidSymbol` and zero (no key) give `None`.
pub fn gdk_keyval_to_keysym(keyval: u32) -> Option<u32> {
    use keysym::*;
    let mapped = match keyval {
        0 | VOID_SYMBOL => return None,
        ISO_LEFT_TAB => TAB,
        META_L => ALT_L,
        META_R => ALT_R,
        HYPER_L => SUPER_L,
        HYPER_R => SUPER_R,
        value if (UNICODE_BASE + 0x20..=UNICODE_BASE + 0xff).contains(&value) => {
            let code_point = value - UNICODE_BASE;
            if (0x7f..0xa0).contains(&code_point) {
                value
            } else {
                code_point
            }
        }
        other => other,
    };
    Some(mapped)
}

/// True for modifier keysyms (the console releases any still held when it loses focus).
pub fn is_modifier(keysym: u32) -> bool {
    use keysym::*;
    matches!(
        keysym,
        SHIFT_L
            | SHIFT_R
            | CONTROL_L
            | CONTROL_R
            | META_L
            | META_R
            | ALT_L
            | ALT_R
            | SUPER_L
            | SUPER_R
            | HYPER_L
            | HYPER_R
            | ISO_LEVEL3_SHIFT
            | MODE_SWITCH
    )
}

/// A key combination from the console's "Send Key" menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendKeyCombo {
    CtrlAltDelete,
    CtrlAltBackspace,
    /// Ctrl+Alt+F1 … Ctrl+Alt+F12 (switch virtual terminal in a Linux guest).
    CtrlAltF(u8),
    /// The Print Screen key.
    Print,
}

impl SendKeyCombo {
    /// Every combination, in menu order.
    pub fn all() -> Vec<SendKeyCombo> {
        let mut combos = vec![SendKeyCombo::CtrlAltDelete, SendKeyCombo::CtrlAltBackspace];
        combos.extend((1..=12).map(SendKeyCombo::CtrlAltF));
        combos.push(SendKeyCombo::Print);
        combos
    }

    /// Menu label, translated.
    pub fn label(&self) -> String {
        match self {
            SendKeyCombo::CtrlAltDelete => gettext("Ctrl+Alt+Delete"),
            SendKeyCombo::CtrlAltBackspace => gettext("Ctrl+Alt+Backspace"),
            SendKeyCombo::CtrlAltF(n) => gettext_f("Ctrl+Alt+F{n}", &[("n", &n.to_string())]),
            SendKeyCombo::Print => gettext("Print Screen"),
        }
    }

    /// Keysyms to press in order (and release in reverse) through the VNC session; `None` for
    /// an F-key number outside 1–12.
    pub fn keysyms(&self) -> Option<Vec<u32>> {
        use keysym::*;
        Some(match self {
            SendKeyCombo::CtrlAltDelete => vec![CONTROL_L, ALT_L, DELETE],
            SendKeyCombo::CtrlAltBackspace => vec![CONTROL_L, ALT_L, BACKSPACE],
            SendKeyCombo::CtrlAltF(n @ 1..=12) => vec![CONTROL_L, ALT_L, F1 + u32::from(*n) - 1],
            SendKeyCombo::CtrlAltF(_) => return None,
            SendKeyCombo::Print => vec![PRINT],
        })
    }

    /// Linux key codes for `virDomainSendKey(codeset = VIR_KEYCODE_SET_LINUX)`, which presses
    /// them together in order and releases them in reverse; `None` for an F-key outside 1–12.
    pub fn linux_keycodes(&self) -> Option<Vec<u32>> {
        use linux_keycodes::*;
        Some(match self {
            SendKeyCombo::CtrlAltDelete => vec![KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE],
            SendKeyCombo::CtrlAltBackspace => vec![KEY_LEFTCTRL, KEY_LEFTALT, KEY_BACKSPACE],
            SendKeyCombo::CtrlAltF(n) => vec![KEY_LEFTCTRL, KEY_LEFTALT, function_key(*n)?],
            SendKeyCombo::Print => vec![KEY_SYSRQ],
        })
    }

    /// True when libvirt's `virDomainSendKey` should be preferred whenever the console belongs
    /// to a libvirt guest. Keysyms reach a QEMU guest only through QEMU's keymap translation,
    /// which has no entry for some keys (Print Screen is SysRq's scan code and is missing from
    /// several keymaps), while Ctrl+Alt+Backspace and Ctrl+Alt+F*n* are swallowed by VNC servers
    /// that are themselves X servers (Xvnc) instead of reaching a guest. Linux key codes are
    /// exact scan codes for the guest's virtual keyboard.
    pub fn prefers_libvirt(&self) -> bool {
        !matches!(self, SendKeyCombo::CtrlAltDelete)
    }
}

/// RFB pointer button mask: bit *n−1* is button *n*; the wheel is buttons 4–7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ButtonMask(pub u8);

impl ButtonMask {
    pub const NONE: ButtonMask = ButtonMask(0);
    pub const LEFT: ButtonMask = ButtonMask(1);
    pub const MIDDLE: ButtonMask = ButtonMask(1 << 1);
    pub const RIGHT: ButtonMask = ButtonMask(1 << 2);
    pub const WHEEL_UP: ButtonMask = ButtonMask(1 << 3);
    pub const WHEEL_DOWN: ButtonMask = ButtonMask(1 << 4);
    pub const WHEEL_LEFT: ButtonMask = ButtonMask(1 << 5);
    pub const WHEEL_RIGHT: ButtonMask = ButtonMask(1 << 6);

    /// Mask for GDK button number `button` (1 left, 2 middle, 3 right, 4–7 wheel), if any.
    pub fn from_button(button: u32) -> Option<ButtonMask> {
        (1..=8)
            .contains(&button)
            .then(|| ButtonMask(1 << (button - 1)))
    }

    /// Both masks' buttons.
    pub fn with(self, other: ButtonMask) -> ButtonMask {
        ButtonMask(self.0 | other.0)
    }

    /// This mask without `other`'s buttons.
    pub fn without(self, other: ButtonMask) -> ButtonMask {
        ButtonMask(self.0 & !other.0)
    }
}

/// Direction of one wheel step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WheelDirection {
    Up,
    Down,
    Left,
    Right,
}

impl WheelDirection {
    /// The button that RFB uses for this direction.
    pub fn button(self) -> ButtonMask {
        match self {
            WheelDirection::Up => ButtonMask::WHEEL_UP,
            WheelDirection::Down => ButtonMask::WHEEL_DOWN,
            WheelDirection::Left => ButtonMask::WHEEL_LEFT,
            WheelDirection::Right => ButtonMask::WHEEL_RIGHT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdk_values_pass_through_except_the_known_differences() {
        assert_eq!(gdk_keyval_to_keysym(0x61), Some(0x61)); // a
        assert_eq!(gdk_keyval_to_keysym(keysym::RETURN), Some(keysym::RETURN));
        assert_eq!(
            gdk_keyval_to_keysym(keysym::ISO_LEFT_TAB),
            Some(keysym::TAB)
        );
        assert_eq!(gdk_keyval_to_keysym(keysym::META_L), Some(keysym::ALT_L));
        assert_eq!(gdk_keyval_to_keysym(keysym::HYPER_R), Some(keysym::SUPER_R));
        assert_eq!(gdk_keyval_to_keysym(0x0100_00e9), Some(0xe9)); // é
        assert_eq!(gdk_keyval_to_keysym(0x0100_20ac), Some(0x0100_20ac)); // €
        assert_eq!(gdk_keyval_to_keysym(keysym::VOID_SYMBOL), None);
        assert!(is_modifier(keysym::ISO_LEVEL3_SHIFT) && !is_modifier(0x61));
    }

    #[test]
    fn combos_have_keysyms_and_linux_codes_of_equal_length() {
        let all = SendKeyCombo::all();
        assert_eq!(all.len(), 15);
        for combo in all {
            let syms = combo.keysyms().unwrap();
            let codes = combo.linux_keycodes().unwrap();
            assert_eq!(syms.len(), codes.len(), "{combo:?}");
            assert!(!combo.label().is_empty());
        }
        assert_eq!(
            SendKeyCombo::CtrlAltF(12).keysyms().unwrap(),
            vec![keysym::CONTROL_L, keysym::ALT_L, keysym::F12]
        );
        assert_eq!(
            SendKeyCombo::CtrlAltF(11).linux_keycodes().unwrap(),
            vec![29, 56, 87]
        );
        assert_eq!(SendKeyCombo::CtrlAltF(10).linux_keycodes().unwrap()[2], 68);
        assert_eq!(SendKeyCombo::CtrlAltF(13).keysyms(), None);
        assert_eq!(SendKeyCombo::CtrlAltF(0).linux_keycodes(), None);
    }

    #[test]
    fn buttons_map_gdk_numbers_to_mask_bits() {
        assert_eq!(ButtonMask::from_button(1), Some(ButtonMask::LEFT));
        assert_eq!(ButtonMask::from_button(3), Some(ButtonMask::RIGHT));
        assert_eq!(ButtonMask::from_button(5), Some(ButtonMask::WHEEL_DOWN));
        assert_eq!(ButtonMask::from_button(0), None);
        assert_eq!(ButtonMask::LEFT.with(ButtonMask::RIGHT).0, 0b101);
        assert_eq!(
            ButtonMask(0b101).without(ButtonMask::LEFT),
            ButtonMask::RIGHT
        );
        assert_eq!(WheelDirection::Left.button().0, 32);
    }
}
