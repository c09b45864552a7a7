//! The typed serde reading of a page that [`super::scan`] replaced: the reference it is
//! checked against (test builds only).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::FIELDS;

/// What coverage needs of one field's value: populated (not null, not a blank string), and
/// whether it is the boolean `false` (a leaver's `active`). Nested content is skipped, never built.
#[derive(Debug, Default, Clone, Copy)]
pub struct Field {
    populated: bool,
    is_false: bool,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Field, E> {
                Ok(Field {
                    populated: true,
                    is_false: !b,
                })
            }
            fn visit_i64<E>(self, _: i64) -> Result<Field, E> {
                Ok(Field::set())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Field, E> {
                Ok(Field::set())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Field, E> {
                Ok(Field::set())
            }
            fn visit_str<E>(self, s: &str) -> Result<Field, E> {
                Ok(Field {
                    populated: !s.trim().is_empty(),
                    is_false: false,
                })
            }
            fn visit_unit<E>(self) -> Result<Field, E> {
                Ok(Field::default())
            }
            fn visit_none<E>(self) -> Result<Field, E> {
                Ok(Field::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
                Field::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::set())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::set())
            }
        }
        d.deserialize_any(V)
    }
}

impl Field {
    fn set() -> Field {
        Field {
            populated: true,
            is_false: false,
        }
    }
}

/// A field whose text coverage needs (id, email): borrowed from the page when it can be.
#[derive(Debug, Default)]
pub enum Text<'a> {
    #[default]
    Null,
    Str(Cow<'a, str>),
    /// Populated, but not a string.
    Other,
}

impl<'a> Text<'a> {
    fn populated(&self) -> bool {
        match self {
            Text::Null => false,
            Text::Str(s) => !s.trim().is_empty(),
            Text::Other => true,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Owned(s)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text<'a>, E> {
                Ok(Text::Other)
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text::Null)
            }
            fn visit_none<E>(self) -> Result<Text<'a>, E> {
                Ok(Text::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'a>, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An object read as `T`, or `T::default()` when the value is not an object (as a path lookup
/// into a non-object finds nothing).
#[derive(Debug, Default)]
pub struct Lenient<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lenient<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Lenient)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lenient<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(T::default()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lenient<T>, D::Error> {
                Lenient::deserialize(d)
            }
            fn visit_none<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_unit<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `currentEmployment`: only the fields coverage counts.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Employment {
    job_title: Field,
    name: Field,
    active: Field,
    start_date: Field,
    end_date: Field,
}

/// `workAddress`: only the fields coverage counts.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Address {
    name: Field,
    line1: Field,
    line2: Field,
    line3: Field,
    city: Field,
    region: Field,
    postal_code: Field,
    country: Field,
}

/// One employee record, as coverage reads it (every other field is skipped unparsed).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Employee<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    full_name: Field,
    first_name: Field,
    last_name: Field,
    #[serde(borrow)]
    email_address: Text<'a>,
    hr_department: Field,
    current_employment: Lenient<Employment>,
    work_address: Lenient<Address>,
}

impl Employee<'_> {
    /// Populated or not, in the order of [`FIELDS`].
    pub fn populated(&self) -> [bool; FIELDS.len()] {
        let e = &self.current_employment.0;
        let a = &self.work_address.0;
        [
            self.id.populated(),
            self.full_name.populated,
            self.first_name.populated,
            self.last_name.populated,
            self.email_address.populated(),
            self.hr_department.populated,
            e.job_title.populated,
            e.name.populated,
            e.active.populated,
            e.start_date.populated,
            e.end_date.populated,
            a.name.populated,
            a.line1.populated,
            a.line2.populated,
            a.line3.populated,
            a.city.populated,
            a.region.populated,
            a.postal_code.populated,
            a.country.populated,
        ]
    }
}

/// One page of `/employees`: its records, borrowing from the body.
#[derive(Deserialize)]
pub struct Page<'a> {
    #[serde(borrow)]
    pub data: Vec<Lenient<Employee<'a>>>,
}

/// A page read the serde way, as the records [`super::scan::page`] gives.
pub fn page(body: &[u8]) -> Option<Vec<super::scan::Record<'static>>> {
    let page: Page = serde_json::from_slice(body).ok()?;
    Some(
        page.data
            .iter()
            .map(|e| {
                let e = &e.0;
                super::scan::Record {
                    populated: e.populated(),
                    id: e.id.as_str().map(|s| Cow::Owned(s.to_string())),
                    email: e.email_address.as_str().map(|s| Cow::Owned(s.to_string())),
                    leaver: e.current_employment.0.active.is_false,
                }
            })
            .collect(),
    )
}
