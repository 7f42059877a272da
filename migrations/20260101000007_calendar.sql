-- The working-day calendar, as data: the years covered, and their days off and make-up
-- working days (调休). Weekends are implied. Replaced as a whole by `normledger calendar import`.
CREATE TABLE calendar_years
(
    year   int PRIMARY KEY,
    source text NOT NULL
);
CREATE TABLE calendar_days
(
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('OFF', 'WORKDAY'))
);
