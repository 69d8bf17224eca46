//! The bench's table: one row per figure, printed as it is measured, with
//! its budget when it has one. A row over budget, or a budget that could not
//! be measured, is a failure; `finish` exits 1 when there is any.

use crate::budgets::{Budget, Unit, ALL};

#[derive(Default)]
pub struct Report {
    failures: Vec<String>,
    /// The budgets checked or reported unmeasured, by README row.
    seen: Vec<&'static str>,
}

impl Report {
    /// A figure with no budget.
    pub fn info(&mut self, figure: &str, unit: Unit, v: f64) {
        println!("{figure:<38} {:>14} {:>14}", unit.show(v), "-");
    }

    /// A figure that must be at most its budget's limit.
    pub fn at_most(&mut self, figure: &str, v: f64, b: &Budget) {
        self.seen.push(b.readme);
        let over = v > b.limit;
        let mark = if over { "  OVER" } else { "" };
        let (shown, limit) = (b.unit.show(v), b.unit.show(b.limit));
        println!("{figure:<38} {shown:>14} {limit:>14}{mark}");
        if over {
            self.failures.push(figure.to_string());
        }
    }

    /// A line of detail under the last row.
    pub fn note(&mut self, text: &str) {
        println!("    {text}");
    }

    /// A budget that could not be measured fails, with the reason.
    pub fn unmeasured(&mut self, figure: &str, b: &Budget, why: &str) {
        self.seen.push(b.readme);
        println!("{figure:<38} {:>14} {:>14}  NOT MEASURED: {why}", "-", "-");
        self.failures
            .push(format!("{figure} (not measured: {why})"));
    }

    pub fn section(&mut self, title: &str) {
        println!("\n{title}");
        println!("{:<38} {:>14} {:>14}", "figure", "measured", "budget");
    }

    /// Exits 1 on any failure, and when a budget was never checked.
    pub fn finish(mut self) {
        for b in ALL {
            if !self.seen.contains(&b.readme) {
                self.failures.push(format!("{} (never measured)", b.readme));
            }
        }
        if !self.failures.is_empty() {
            eprintln!(
                "\nBUDGET EXCEEDED OR NOT MEASURED: {}",
                self.failures.join(", ")
            );
            std::process::exit(1);
        }
        println!("\nall budgets held");
    }
}
