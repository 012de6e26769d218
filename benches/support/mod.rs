//! What the benches share.

/// Register the font criterion's plots need, before any bench runs: plotters' `ab_glyph`
/// feature (wanted by the library's charts) is unified into criterion's plotters, which then
/// finds no font and panics while plotting unless one is registered first. Criterion's plotters
/// backend draws every text in `FontFamily::SansSerif` ("sans-serif"), as do plotters'
/// defaults, so that is the one family to register.
pub fn register_plot_font() {
    if plotters::style::register_font(
        "sans-serif",
        plotters::style::FontStyle::Normal,
        include_bytes!("../../assets/DejaVuSans.ttf"),
    )
    .is_err()
    {
        panic!("assets/DejaVuSans.ttf is not a usable font");
    }
}
