//! Geography: how far apart places are, and the shortest round trip physics allows between
//! them. Light in glass fibre travels at about two thirds of its speed in vacuum.

/// Speed of light in optical fibre, km/s (refractive index ≈ 1.5).
pub const FIBER_KM_PER_S: f64 = 200_000.0;

/// Speed of light in vacuum, km/s.
pub const VACUUM_KM_PER_S: f64 = 299_792.458;

/// The minimum round-trip time over `km` of fibre (there and back), in ms. Real routes are
/// longer than the great circle and add switching, so measured RTTs are higher.
pub fn fiber_rtt_ms(km: f64) -> f64 {
    2.0 * km / FIBER_KM_PER_S * 1_000.0
}

/// The minimum round-trip time over `km` in vacuum (a straight line at light speed), in ms.
pub fn vacuum_rtt_ms(km: f64) -> f64 {
    2.0 * km / VACUUM_KM_PER_S * 1_000.0
}

/// Great-circle distance in km between two (latitude, longitude) points in degrees.
pub fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_KM: f64 = 6_371.0;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().asin()
}

/// Some cities with datacentres, as (name, latitude, longitude).
pub const CITIES: &[(&str, f64, f64)] = &[
    ("New York", 40.71, -74.01),
    ("Virginia (US-East)", 38.95, -77.45),
    ("San Francisco", 37.77, -122.42),
    ("London", 51.51, -0.13),
    ("Frankfurt", 50.11, 8.68),
    ("Amsterdam", 52.37, 4.90),
    ("Tokyo", 35.68, 139.69),
    ("Singapore", 1.35, 103.82),
    ("Mumbai", 19.08, 72.88),
    ("Sydney", -33.87, 151.21),
    ("São Paulo", -23.55, -46.63),
];

/// A city [`city`] or [`distance_km`] does not know; its message lists the ones it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCity(pub String);

impl std::fmt::Display for UnknownCity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known: Vec<&str> = CITIES.iter().map(|c| c.0).collect();
        write!(f, "unknown city {:?}; known: {}", self.0, known.join(", "))
    }
}

impl std::error::Error for UnknownCity {}

/// The (latitude, longitude) of a city in [`CITIES`], or an error naming the known ones.
pub fn city(name: &str) -> Result<(f64, f64), UnknownCity> {
    CITIES
        .iter()
        .find(|c| c.0 == name)
        .map(|c| (c.1, c.2))
        .ok_or_else(|| UnknownCity(name.to_owned()))
}

/// Great-circle distance between two cities of [`CITIES`], km.
pub fn distance_km(a: &str, b: &str) -> Result<f64, UnknownCity> {
    Ok(great_circle_km(city(a)?, city(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_tokyo() {
        let km = distance_km("New York", "Tokyo").unwrap();
        assert!((km - 10_850.0).abs() < 100.0, "{km}");
        assert!((fiber_rtt_ms(10_800.0) - 108.0).abs() < 1e-9);
        assert!((vacuum_rtt_ms(10_800.0) - 72.05).abs() < 0.01);
        assert_eq!(distance_km("London", "London"), Ok(0.0));
    }

    #[test]
    fn an_unknown_city_is_an_error_that_lists_the_known_ones() {
        let err = distance_km("London", "Atlantis").unwrap_err();
        assert_eq!(err, UnknownCity("Atlantis".into()));
        let msg = err.to_string();
        assert!(
            msg.starts_with("unknown city \"Atlantis\"; known: New York,"),
            "{msg}"
        );
        assert!(msg.contains("Tokyo"), "{msg}");
    }
}
