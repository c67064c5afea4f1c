fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1000);
    let f = std::fs::read(path).unwrap();
    let o = ork_processor::ork::ParseOptions::default();
    for _ in 0..n {
        std::hint::black_box(ork_processor::ork::parse(&f, &o).unwrap());
    }
}
