//! The deterministic generator: names, departments, locations, dates from a seeded `Rng`.

use super::*;

pub(super) const FIRST: [&str; 48] = [
    "Charles", "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Sophie",
    "Jacob", "Grace", "Leo", "Chloe", "Oscar", "Emily", "Arthur", "Lily", "Henry", "Ella",
    "Thomas", "Freya", "James", "Evie", "William", "Poppy", "Lucas", "Ruby", "Samuel", "Alice",
    "Daniel", "Florence", "Joseph", "Rosie", "Ethan", "Hannah", "Adam", "Zara", "Mohammed",
    "Priya", "Lukas", "Elena", "Mateo", "Chiara", "Pierre", "Camille", "Kenji", "Aisha",
];
pub(super) const LAST: [&str; 50] = [
    "Hamilton",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Baker",
    "Moreau",
    "Dubois",
    "Schmidt",
    "Fischer",
    "Rossi",
    "Bianchi",
    "Garcia",
    "Martinez",
    "Novak",
    "Kowalski",
    "Murphy",
    "O'Brien",
    "Nguyen",
    "Tanaka",
    "Singh",
    "Ahmed",
    "Fernandes",
    "Silva",
    "Jensen",
    "Larsen",
];
pub(super) const DEPARTMENTS: [(&str, [&str; 3]); 8] = [
    (
        "Finance",
        ["Finance Assistant", "Financial Analyst", "Finance Director"],
    ),
    (
        "Engineering",
        [
            "Software Engineer",
            "Senior Engineer",
            "Engineering Manager",
        ],
    ),
    (
        "Sales",
        [
            "Account Executive",
            "Sales Development Rep",
            "Head of Sales",
        ],
    ),
    (
        "People",
        ["HR Advisor", "People Partner", "Chief People Officer"],
    ),
    (
        "Operations",
        ["Operations Analyst", "Office Manager", "COO"],
    ),
    (
        "Marketing",
        ["Content Marketer", "Product Marketing Manager", "CMO"],
    ),
    (
        "Customer Success",
        [
            "Support Specialist",
            "Customer Success Manager",
            "Head of Support",
        ],
    ),
    ("Legal", ["Paralegal", "Legal Counsel", "General Counsel"]),
];
/// (location name, line1, city, region, postal code, country, currency)
pub(super) const LOCATIONS: [(&str, &str, &str, &str, &str, &str, &str); 6] = [
    (
        "Reading HQ",
        "Hoover Bldg",
        "Reading",
        "Berkshire",
        "RG1 2YY",
        "United Kingdom",
        "GBP",
    ),
    (
        "London Office",
        "1 Finsbury Ave",
        "London",
        "Greater London",
        "EC2M 2PF",
        "United Kingdom",
        "GBP",
    ),
    (
        "Newcastle Hub",
        "C23 Cobalt Park",
        "Newcastle upon Tyne",
        "Tyne and Wear",
        "NE27 0QQ",
        "United Kingdom",
        "GBP",
    ),
    (
        "Paris Office",
        "10 Rue Fructidor",
        "Paris",
        "Ile-de-France",
        "75017",
        "France",
        "EUR",
    ),
    (
        "Atlanta Office",
        "271 17th St NW",
        "Atlanta",
        "Georgia",
        "30363",
        "United States",
        "USD",
    ),
    (
        "Remote",
        "Home working",
        "Various",
        "",
        "",
        "United Kingdom",
        "GBP",
    ),
];

pub(super) fn employee_currency(cfg: &DataConfig, emp: u64) -> &'static str {
    LOCATIONS[location_of(cfg, emp)].6
}

pub(super) fn location_of(cfg: &DataConfig, emp: u64) -> usize {
    Rng::new(cfg.seed, 100, emp).below(LOCATIONS.len() as u64) as usize
}

/// (first, last) names: a bijection over the name grid so small orgs have no repeated names.
pub(super) fn names(cfg: &DataConfig, i: u64) -> (&'static str, &'static str) {
    let grid = (FIRST.len() * LAST.len()) as u64;
    let n = (i.wrapping_mul(1_201) + cfg.seed) % grid; // 1201 is prime to 2400
    (
        FIRST[(n % FIRST.len() as u64) as usize],
        LAST[(n / FIRST.len() as u64) as usize],
    )
}

pub(super) fn email_of(cfg: &DataConfig, i: u64) -> Email {
    let (first, last) = names(cfg, i);
    Email {
        first,
        last,
        round: i / (FIRST.len() * LAST.len()) as u64,
    }
}

pub(super) fn employee(cfg: &DataConfig, i: u64) -> Employee {
    let mut r = Rng::new(cfg.seed, 0, i);
    let (first, last) = names(cfg, i);
    // Record 0 always has every field and object populated, so that it documents the shape.
    let leaver = i > 0 && r.below(100) < u64::from(cfg.leaver_percent);
    let no_email = i > 0 && r.below(100) < u64::from(cfg.missing_email_percent);
    let dup_email = i > 0 && r.below(100) < u64::from(cfg.duplicate_email_percent);
    let email = if no_email {
        None
    } else if dup_email {
        Some(email_of(cfg, i - 1))
    } else {
        Some(email_of(cfg, i))
    };
    let (dept, titles) = DEPARTMENTS[r.below(DEPARTMENTS.len() as u64) as usize];
    let title = titles[(r.below(10) as usize).min(9) / 4];
    let start_year = 2010 + r.below(16) as u32;
    let start = date(start_year, &mut r);
    let end = leaver.then(|| date((start_year + 1 + r.below(3) as u32).min(2026), &mut r));
    // The draws in the order the record has always made them (department, then month).
    let hr_department = if i > 0 && r.below(50) == 0 {
        None
    } else {
        Some(dept)
    };
    let month = 1 + r.below(12);
    Employee {
        id: Id::new(Entity::Employees, i),
        hr_department,
        full_name: FullName(first, last),
        first_name: first,
        last_name: last,
        email_address: email,
        current_employment: Employment {
            start_date: start,
            name: EmploymentName(start_year, month, i + 1),
            job_title: title,
            end_date: end,
            active: !leaver,
        },
        work_address: WorkAddress(location_of(cfg, i)),
        additional_fields: [EmployeeNumber(i + 1)],
    }
}

pub(super) fn date(year: u32, r: &mut Rng) -> Date {
    let month = 1 + r.below(12);
    Date(year, month, 1 + r.below(28))
}

pub(super) fn pick<'a>(r: &mut Rng, options: &[&'a str]) -> &'a str {
    options[r.below(options.len() as u64) as usize]
}

/// SplitMix64: tiny, fast and stable across versions, which a seeded data set needs (a
/// general-purpose RNG crate does not promise the same stream from one release to the next).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng(seed
            ^ stream.wrapping_mul(0xA076_1D64_78BD_642F)
            ^ index.wrapping_mul(0xE703_7ED1_A0B4_28DB));
        r.next();
        r
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A well-mixed hash of one number (for deterministic fault draws).
pub fn mix(x: u64) -> u64 {
    Rng::new(x, 0xFA17, 0).next()
}
