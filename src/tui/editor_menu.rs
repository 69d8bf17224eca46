//! The line editor's modes over the plain input (a child module of
//! editor.rs, so it works on the editor's own fields): the Ctrl-R search,
//! the completion menu (Tab, `@`), long pastes folded to a label, and
//! Ctrl-G's trip to the user's editor.

use std::io::{self, Write};

use super::super::complete::Menu;
use super::super::compose;
use super::super::keys::Key;
use super::super::search::Step;
use super::Editor;

impl Editor {
    /// Keys the search or the open menu take: true when `key` was used
    /// (the caller redraws). Enter in the search sends its match: `key`
    /// becomes Enter for the caller, with the match as the input.
    pub(super) fn intercept(&mut self, key: &mut Key) -> bool {
        if let Some(search) = &mut self.search {
            let (text, send) = match search.key(key, &self.history.entries) {
                Step::Show => {
                    if search.at.is_some() {
                        self.buf = search.shown(&self.history.entries).to_string();
                        self.cur = self.buf.find(&search.query).unwrap_or(0);
                    }
                    return true;
                }
                Step::Send(t) => (t, true),
                Step::Edit(t) | Step::Cancel(t) => (t, false),
            };
            self.search = None;
            self.cur = text.len();
            self.buf = text;
            if !send {
                return true;
            }
            *key = Key::Enter;
        }
        if self.menu.is_none() {
            return false;
        }
        match key {
            Key::Tab | Key::Enter => {
                self.accept();
                true
            }
            Key::Up | Key::Down => {
                let by = if *key == Key::Up { -1 } else { 1 };
                if let Some(m) = &mut self.menu {
                    m.step(by);
                }
                true
            }
            Key::Esc => {
                self.close_menu();
                true
            }
            Key::Left | Key::Right | Key::Home | Key::End => {
                self.close_menu();
                false
            }
            _ => false,
        }
    }

    /// Ask the completer about the word before the cursor: one item is
    /// taken at once when asked with Tab, several open the menu.
    pub(super) fn refresh(&mut self, tab: bool) {
        let Some(c) = &mut self.completer else { return };
        let found = c.complete(&self.buf, self.cur, tab);
        match found {
            Some((start, items)) if tab && items.len() == 1 && self.menu.is_none() => {
                self.menu = Some(Menu {
                    start,
                    items,
                    sel: 0,
                    tab,
                });
                self.accept();
            }
            Some((start, items)) => {
                self.menu = Some(Menu {
                    start,
                    items,
                    sel: 0,
                    tab,
                })
            }
            None => self.close_menu(),
        }
    }

    /// Put the menu's chosen item in place of its word; a folder keeps the
    /// menu open on its contents.
    fn accept(&mut self) {
        let Some(m) = self.menu.take() else { return };
        let Some(it) = m.chosen() else { return };
        if m.start > self.cur || self.buf.get(m.start..self.cur).is_none() {
            return self.close_menu();
        }
        self.buf.replace_range(m.start..self.cur, &it.text);
        self.cur = m.start + it.text.len();
        if it.text.ends_with('/') && it.text.starts_with('@') {
            return self.refresh(m.tab);
        }
        if !self.buf[self.cur..].starts_with(' ') {
            self.insert(' ');
        }
        self.close_menu();
    }

    /// A paste of many lines shows as its label (see compose.rs).
    pub(super) fn fold_paste(&mut self) {
        let Some(text) = self.buf.get(self.paste_from..self.cur) else {
            return;
        };
        if let Some(label) = compose::label(text) {
            let text = text.to_string();
            self.buf.replace_range(self.paste_from..self.cur, &label);
            self.cur = self.paste_from + label.len();
            self.pastes.push((label, text));
        }
    }

    /// Ctrl-G: the whole input (pastes unfolded) through the user's editor.
    pub(super) fn external(&mut self) -> io::Result<()> {
        self.close_menu();
        let full = compose::unfold(std::mem::take(&mut self.buf), &mut self.pastes);
        match compose::external(&full) {
            Ok(text) => self.buf = text,
            Err(e) => {
                self.buf = full;
                let msg = super::super::clean::clean(&e).into_owned();
                io::stdout().write_all(format!("\r\n\x1b[J{msg}\r\n").as_bytes())?;
                self.rows_up = 0;
            }
        }
        self.cur = self.buf.len();
        Ok(())
    }

    pub(super) fn close_menu(&mut self) {
        if self.menu.take().is_some() {
            if let Some(c) = &mut self.completer {
                c.close();
            }
        }
    }
}
