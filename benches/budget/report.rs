//! The bench's table: one row per figure, printed as it is measured, with
//! its budget when it has one. A row over budget, or a budget that could not
//! be measured, is a failure; `finish` exits 1 when there is any.

pub const MIB: u64 = 1024 * 1024;

/// How a figure is shown and compared.
#[derive(Clone, Copy)]
pub enum Unit {
    Bytes,
    Kib,
    Ms,
    Ticks,
    Count,
    Ratio,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Bytes => format!("{v:.0} bytes"),
            Unit::Kib => format!("{:.0} KiB", v / 1024.0),
            Unit::Ms => format!("{v:.0} ms"),
            Unit::Ticks => format!("{v:.0} ticks"),
            Unit::Count => format!("{v:.0}"),
            Unit::Ratio => format!("{v:.2} x"),
        }
    }
}

#[derive(Default)]
pub struct Report {
    failures: Vec<String>,
}

impl Report {
    /// A figure with no budget.
    pub fn info(&mut self, figure: &str, unit: Unit, v: f64) {
        println!("{figure:<38} {:>14} {:>14}", unit.show(v), "-");
    }

    /// A figure that must be at most `budget`.
    pub fn at_most(&mut self, figure: &str, unit: Unit, v: f64, budget: f64) {
        let mark = if v <= budget { "" } else { "  OVER" };
        println!(
            "{figure:<38} {:>14} {:>14}{mark}",
            unit.show(v),
            unit.show(budget)
        );
        if v > budget {
            self.failures.push(figure.to_string());
        }
    }

    /// A line of detail under the last row.
    pub fn note(&mut self, text: &str) {
        println!("    {text}");
    }

    /// A budget that could not be measured fails, with the reason.
    pub fn unmeasured(&mut self, figure: &str, why: &str) {
        println!("{figure:<38} {:>14} {:>14}  NOT MEASURED: {why}", "-", "-");
        self.failures
            .push(format!("{figure} (not measured: {why})"));
    }

    pub fn section(&mut self, title: &str) {
        println!("\n{title}");
        println!("{:<38} {:>14} {:>14}", "figure", "measured", "budget");
    }

    pub fn finish(self) {
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
