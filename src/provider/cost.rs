//! What a session costs: per-model prices from the config's `models`
//! section (USD per million tokens) applied to the usage the provider
//! reported. No built-in price list: prices change, and a stale table
//! would print wrong numbers with confidence.

use super::Usage;
use crate::json::value::Value;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Prices {
    pub input: f64,
    pub output: f64,
    /// Cache reads; the input price when not given.
    pub cache_read: f64,
    /// Cache writes; the input price when not given.
    pub cache_write: f64,
}

impl Prices {
    /// Read `{input_price, output_price, cache_read_price?, cache_write_price?}`;
    /// `None` unless both input and output prices are there.
    pub fn from_config(m: &Value) -> Option<Prices> {
        let num = |k: &str| {
            m.get(k)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite() && *v >= 0.0)
        };
        let (input, output) = (num("input_price")?, num("output_price")?);
        Some(Prices {
            input,
            output,
            cache_read: num("cache_read_price").unwrap_or(input),
            cache_write: num("cache_write_price").unwrap_or(input),
        })
    }

    /// USD for `u`.
    pub fn cost(&self, u: &Usage) -> f64 {
        let plain = u.input.saturating_sub(u.cached + u.cache_write);
        (plain as f64 * self.input
            + u.cached as f64 * self.cache_read
            + u.cache_write as f64 * self.cache_write
            + u.output as f64 * self.output)
            / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_apply_per_kind_of_token() {
        let v = crate::json::value::parse(
            r#"{"input_price":3,"output_price":15,"cache_read_price":0.3}"#,
        )
        .unwrap();
        let p = Prices::from_config(&v).unwrap();
        assert_eq!(p.cache_write, 3.0);
        let u = Usage {
            input: 1_000_000,
            output: 100_000,
            cached: 500_000,
            cache_write: 100_000,
        };
        // 400k plain at 3, 500k read at 0.3, 100k written at 3, 100k out at 15.
        assert!((p.cost(&u) - (1.2 + 0.15 + 0.3 + 1.5)).abs() < 1e-9);
        assert!(
            Prices::from_config(&crate::json::value::parse(r#"{"input_price":3}"#).unwrap())
                .is_none()
        );
    }
}
