//! Keyword values of the language (`direction: higher`, `grain: week`,
//! `status: confirmed`, ...) and of the contracts between stages (a link's
//! verdict, a target status): each enum is declared once with its
//! spellings by [`keyword_enum!`], and every reader — the checker, the
//! language server's completions, the docs, the SQL backend, the run —
//! takes the spellings from it.

/// An enum whose values are spelled as words of the language.
pub trait Keyword: Copy + 'static {
    /// Every value, in the order the language lists them.
    const ALL: &'static [Self];
    /// The spellings, in the same order as `ALL`.
    const NAMES: &'static [&'static str];
    /// The value's spelling.
    fn name(self) -> &'static str;
    /// The value spelled `word`, if any.
    fn parse(word: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|&n| n == word)
            .map(|i| Self::ALL[i])
    }
}

/// Declares an enum of keyword values: `Variant = "spelling"`. It derives
/// the usual traits, implements [`Keyword`], `Display` (the spelling) and
/// `Serialize` (the spelling, as a string), and gives inherent `name` and
/// `parse` so that callers need not import the trait.
#[macro_export]
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $spelling:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::keyword::Keyword for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            const NAMES: &'static [&'static str] = &[$($spelling),+];
            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $spelling),+
                }
            }
        }

        impl $name {
            /// Every value, in the order the language lists them.
            #[allow(dead_code)]
            pub const ALL: &'static [Self] = <Self as $crate::keyword::Keyword>::ALL;
            /// The spellings, in the order of `ALL`.
            #[allow(dead_code)]
            pub const NAMES: &'static [&'static str] =
                <Self as $crate::keyword::Keyword>::NAMES;

            /// The value's spelling, as written in a spec.
            #[allow(dead_code)]
            pub fn name(self) -> &'static str {
                <Self as $crate::keyword::Keyword>::name(self)
            }

            /// The value spelled `word`, if any.
            #[allow(dead_code)]
            pub fn parse(word: &str) -> Option<Self> {
                <Self as $crate::keyword::Keyword>::parse(word)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

/// A spelling for people: `contextual_inquiry` → `Contextual inquiry`.
pub fn label(name: &str) -> String {
    let mut label = name.replace('_', " ");
    if let Some(first) = label.get(..1) {
        let upper = first.to_ascii_uppercase();
        label.replace_range(..1, &upper);
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    keyword_enum! {
        enum Sample {
            One = "one",
            TwoWords = "two_words",
        }
    }

    #[test]
    fn spellings_round_trip_and_serialise_as_written() {
        for &value in Sample::ALL {
            assert_eq!(Sample::parse(value.name()), Some(value));
        }
        assert_eq!(Sample::parse("three"), None);
        assert_eq!(Sample::TwoWords.to_string(), "two_words");
        assert_eq!(
            serde_json::to_string(&Sample::TwoWords).unwrap(),
            "\"two_words\""
        );
        assert_eq!(label(Sample::TwoWords.name()), "Two words");
    }
}
