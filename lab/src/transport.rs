//! Transport cost: what it costs to turn a message into bytes and back (measured live, JSON vs
//! a compact binary layout), how many bytes that is, and what moving bytes costs in money.
//!
//! The timings are wall-clock measurements of this machine, not simulation: they vary from run
//! to run. The byte counts and prices are exact.

use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Instant;

/// A typical service-to-service message: an order line.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub order_id: u64,
    pub customer_id: u64,
    pub sku: String,
    pub quantity: u32,
    pub price_cents: u64,
    pub express: bool,
}

impl Order {
    /// A sample order, different for each `i`.
    pub fn sample(i: u64) -> Order {
        Order {
            order_id: 1_000_000 + i,
            customer_id: 42_000 + i % 977,
            sku: format!("SKU-{:06}", i % 100_000),
            quantity: (i % 5) as u32 + 1,
            price_cents: 1_999 + i % 500,
            express: i % 3 == 1,
        }
    }

    /// As JSON text (field names travel with every message).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "order_id": self.order_id,
            "customer_id": self.customer_id,
            "sku": self.sku,
            "quantity": self.quantity,
            "price_cents": self.price_cents,
            "express": self.express,
        }))
        .expect("a JSON object always serialises")
    }

    /// Parses JSON text back into an order.
    pub fn from_json(bytes: &[u8]) -> Option<Order> {
        let v: Value = serde_json::from_slice(bytes).ok()?;
        Some(Order {
            order_id: v["order_id"].as_u64()?,
            customer_id: v["customer_id"].as_u64()?,
            sku: v["sku"].as_str()?.to_string(),
            quantity: v["quantity"].as_u64()? as u32,
            price_cents: v["price_cents"].as_u64()?,
            express: v["express"].as_bool()?,
        })
    }

    /// A compact binary layout (what protobuf-like formats do): fixed-width little-endian
    /// numbers in a known order, a length-prefixed string, no field names.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(32 + self.sku.len());
        b.extend_from_slice(&self.order_id.to_le_bytes());
        b.extend_from_slice(&self.customer_id.to_le_bytes());
        b.push(self.sku.len() as u8);
        b.extend_from_slice(self.sku.as_bytes());
        b.extend_from_slice(&self.quantity.to_le_bytes());
        b.extend_from_slice(&self.price_cents.to_le_bytes());
        b.push(self.express as u8);
        b
    }

    /// Reads the binary layout back.
    pub fn from_binary(b: &[u8]) -> Option<Order> {
        let u64_at = |i: usize| Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?));
        let len = *b.get(16)? as usize;
        let sku = std::str::from_utf8(b.get(17..17 + len)?).ok()?.to_string();
        let at = 17 + len;
        Some(Order {
            order_id: u64_at(0)?,
            customer_id: u64_at(8)?,
            sku,
            quantity: u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?),
            price_cents: u64_at(at + 4)?,
            express: *b.get(at + 12)? != 0,
        })
    }
}

/// What one codec cost on this machine, per message.
#[derive(Clone, Debug, PartialEq)]
pub struct CodecCost {
    pub codec: &'static str,
    pub encode_ns: f64,
    pub decode_ns: f64,
    pub bytes: usize,
}

/// Measures JSON and the binary layout on `messages` sample orders (best of 3 rounds).
pub fn measure_codecs(messages: u64) -> Vec<CodecCost> {
    let orders: Vec<Order> = (0..messages.max(1)).map(Order::sample).collect();
    type Enc = fn(&Order) -> Vec<u8>;
    type Dec = fn(&[u8]) -> Option<Order>;
    let codecs: [(&str, Enc, Dec); 2] = [
        ("JSON (serde_json)", Order::to_json, Order::from_json),
        (
            "binary (fixed layout)",
            Order::to_binary,
            Order::from_binary,
        ),
    ];
    codecs
        .iter()
        .map(|&(codec, enc, dec)| {
            let best = |f: &mut dyn FnMut()| {
                (0..3)
                    .map(|_| {
                        let t = Instant::now();
                        f();
                        t.elapsed().as_nanos() as f64 / orders.len() as f64
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let mut encoded: Vec<Vec<u8>> = Vec::new();
            let encode_ns =
                best(&mut || encoded = orders.iter().map(|o| black_box(enc(o))).collect());
            let decode_ns = best(&mut || {
                for e in &encoded {
                    black_box(dec(black_box(e)));
                }
            });
            let bytes = encoded.iter().map(Vec::len).sum::<usize>() / encoded.len();
            CodecCost {
                codec,
                encode_ns,
                decode_ns,
                bytes,
            }
        })
        .collect()
}

/// Per-GB prices for successive volume tiers: `(tier size in GB, $ per GB)`; the last tier's
/// price applies to everything beyond.
pub type Tiers<'a> = &'a [(f64, f64)];

/// The internet egress tiers the seed texts quote (first 10 TB $0.09/GB, next 40 TB $0.085,
/// next 100 TB $0.07). They stop at 150 TB.
pub const SEED_EGRESS_TIERS: Tiers<'static> =
    &[(10_000.0, 0.09), (40_000.0, 0.085), (100_000.0, 0.07)];

/// The same list continued with the next published tier ($0.05/GB beyond 150 TB).
pub const EGRESS_TIERS_WITH_150TB: Tiers<'static> = &[
    (10_000.0, 0.09),
    (40_000.0, 0.085),
    (100_000.0, 0.07),
    (f64::INFINITY, 0.05),
];

/// The monthly bill for `gb` gigabytes priced by `tiers`.
pub fn tiered_cost(gb: f64, tiers: Tiers) -> f64 {
    let mut left = gb.max(0.0);
    let mut cost = 0.0;
    for (i, &(size, price)) in tiers.iter().enumerate() {
        let last = i + 1 == tiers.len();
        let here = if last { left } else { left.min(size) };
        cost += here * price;
        left -= here;
        if left <= 0.0 {
            break;
        }
    }
    cost
}

/// Gigabytes (10⁹ bytes) moved by `mbps` megabits per second for `seconds`.
pub fn gb_at_rate(mbps: f64, seconds: f64) -> f64 {
    mbps * 1e6 / 8.0 * seconds / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_round_trip_and_binary_is_smaller() {
        let o = Order::sample(7);
        assert_eq!(Order::from_json(&o.to_json()), Some(o.clone()));
        assert_eq!(Order::from_binary(&o.to_binary()), Some(o.clone()));
        assert_eq!(Order::from_binary(&[1, 2, 3]), None);
        let costs = measure_codecs(200);
        assert!(costs[1].bytes * 2 < costs[0].bytes, "{costs:?}");
    }

    #[test]
    fn egress_arithmetic() {
        // 1M users × 1 h × 5 Mbps = 2.25 PB = 2,250,000 GB.
        let gb = gb_at_rate(5.0, 3_600.0) * 1e6;
        assert!((gb - 2_250_000.0).abs() < 1e-3);
        assert!((tiered_cost(gb, &[(f64::INFINITY, 0.07)]) - 157_500.0).abs() < 1e-6);
        assert!((tiered_cost(gb, SEED_EGRESS_TIERS) - 158_300.0).abs() < 1e-6);
        assert!((tiered_cost(gb, EGRESS_TIERS_WITH_150TB) - 116_300.0).abs() < 1e-6);
        assert_eq!(tiered_cost(5_000.0, SEED_EGRESS_TIERS), 450.0);
    }
}
