//! The registry of diagnostic codes. Every code has a severity, a one-line
//! title and an explanation (in `explanations.md`, printed by `cpic explain`).
//! Codes are stable: never renumber one, retire it instead.

use super::Severity;

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $title:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant),*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable code, e.g. `E0201`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code),*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity),*
                }
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title),*
                }
            }
        }
    };
}

codes! {
    InvalidUtf8 = "E0101", Error, "file is not valid UTF-8";
    Syntax = "E0102", Error, "syntax error";
    TooDeep = "E0103", Error, "nesting too deep";
    InvalidLiteral = "E0104", Error, "invalid literal";
    InvalidKeyword = "E0105", Error, "unknown value for a keyword field";
    UnknownUnit = "E0106", Error, "unknown unit";
    UnknownField = "E0107", Error, "unknown field";
    FieldNotAllowed = "E0108", Error, "field not allowed on this kind of item";
    MissingField = "E0109", Error, "missing required field";
    DuplicateField = "E0110", Error, "field given more than once";
    InvalidName = "E0111", Error, "invalid name";
    TableOrFile = "E0112", Error, "a source needs exactly one of `table` and `file`";
    InvalidConfig = "E0113", Error, "invalid `cpi.toml`";
    DuplicateName = "E0201", Error, "name defined more than once";
    UnknownTeam = "E0202", Error, "unknown team";
    UnknownSource = "E0203", Error, "unknown source";
    UnknownColumn = "E0204", Error, "unknown column";
    UnknownMetric = "E0205", Error, "unknown metric";
    WrongKind = "E0206", Error, "name refers to the wrong kind of item";
    UnknownFunction = "E0207", Error, "unknown function";
    MetricCycle = "E0208", Error, "derived metrics depend on each other in a cycle";
    DuplicateColumn = "E0209", Error, "column declared more than once";
    NoTimeColumn = "E0210", Error, "no time column";
    IncompatibleUnits = "E0301", Error, "incompatible units";
    BareNumber = "E0302", Error, "bare number mixed with a quantity";
    UnitArithmetic = "E0303", Error, "product or quotient of units that has no meaning";
    TypeMismatch = "E0304", Error, "type mismatch";
    MeasureUnit = "E0305", Error, "measure does not convert to the metric's unit";
    NestedAggregate = "E0306", Error, "aggregate inside an aggregate";
    AggregateContext = "E0307", Error, "column used outside an aggregate, or aggregate in a row expression";
    DerivedMeasure = "E0308", Error, "invalid derived measure";
    PercentileArgument = "E0309", Error, "percentile needs a literal between 0 and 1";
    Arity = "E0310", Error, "wrong number of arguments";
    TimeColumnType = "E0311", Error, "time column is not a date or timestamp";
    CalendarUnit = "E0312", Error, "calendar unit where a fixed length is needed";
    DerivedGrain = "E0313", Error, "derived metric mixes grains";
    WindowLength = "E0314", Error, "window is not a length of time of at least one period";
    WindowPlace = "E0315", Error, "`window` or `snapshot` where it cannot apply";
    FillUnit = "E0316", Error, "`fill` is not a quantity in the metric's unit";
    PriorOffset = "E0317", Error, "`prior` offset is not a whole number of periods";
    FunctionPlace = "E0318", Error, "function used where it cannot apply";
    FreshDuration = "E0319", Error, "`fresh` is not a positive duration";
    LinkFromKpi = "E0401", Error, "link starts at a KPI";
    LinkCycle = "E0402", Error, "link graph has a cycle";
    LagGrain = "E0403", Error, "lag is not a whole number of link grains";
    LinkGrain = "E0404", Error, "link grain finer than a metric's grain";
    DuplicateLink = "E0405", Error, "link declared more than once";
    MinPeriods = "E0406", Error, "`min_periods` too small";
    LinkSegments = "E0407", Error, "link segments by a dimension that a metric lacks";
    TargetUnit = "E0501", Error, "target quantity does not convert to the metric's unit";
    TargetRange = "E0502", Error, "target range low end above high end";
    TargetDates = "E0503", Error, "target `from` after `until`";
    TargetOverlap = "E0504", Error, "targets overlap in time";
    DuplicateTarget = "E0505", Error, "target name used twice";
    ExpectUnit = "E0506", Error, "`expect` range does not convert to the metric's unit";
    ExpectRange = "E0507", Error, "`expect` is not a range with its low end at or below its high end";
    NoEvidence = "W0601", Warning, "CPI without evidence";
    WeakEvidence = "W0602", Warning, "CPI found only by survey, focus group or expert judgment";
    CompanyCentricCpi = "W0603", Warning, "CPI that measures the company, not the customer";
    SingleValueTarget = "W0604", Warning, "target is a single value, not a range";
    NoBaseline = "W0605", Warning, "target without a baseline";
    ExpiredTarget = "W0606", Warning, "target has expired";
    NoCoreMetric = "W0607", Warning, "no core metric";
    ManyCoreMetrics = "W0608", Warning, "more than one core metric";
    UnlinkedCpi = "W0609", Warning, "CPI linked to no KPI";
    UnlinkedKpi = "W0610", Warning, "KPI that no CPI links to";
    ConfirmedWithoutExperiment = "W0611", Warning, "link confirmed without an experiment";
    FileSourceInDialect = "E0701", Error, "file source in a dialect that cannot read files";
    ExperimentLink = "E0801", Error, "experiment tests a link that is not declared";
    UnknownExperiment = "E0802", Error, "unknown experiment";
    ExperimentOfAnotherLink = "E0803", Error, "link names an experiment that tests another link";
    ExperimentUnit = "E0804", Error, "experiment unit is not a column of the assignments";
    ExperimentMetricUnit = "E0805", Error, "analysed metric's source lacks the experiment's unit column";
    ExperimentVariant = "E0806", Error, "experiment variant is not a text column of the assignments";
    ExperimentDerivedMetric = "E0807", Error, "analysed metric is derived or a snapshot";
    ExperimentSplit = "E0808", Error, "split shares are not percentages that sum to 100%";
    ExperimentDates = "E0809", Error, "experiment `from` after `until`";
}

const EXPLANATIONS: &str = include_str!("explanations.md");

impl Code {
    pub fn parse(code: &str) -> Option<Code> {
        let code = code.trim().to_ascii_uppercase();
        Code::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// The explanation of this code: what it means, why it matters, how to
    /// fix it, and an example. Empty if `explanations.md` lacks a section.
    pub fn explanation(self) -> &'static str {
        let heading = format!("## {}", self.as_str());
        let Some(start) = EXPLANATIONS.find(&heading) else {
            return "";
        };
        let rest = &EXPLANATIONS[start..];
        let end = rest[heading.len()..]
            .find("\n## ")
            .map_or(rest.len(), |i| i + heading.len() + 1);
        rest[..end].trim_end()
    }
}
