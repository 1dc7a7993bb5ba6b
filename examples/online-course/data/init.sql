-- Run by `cpic run` after connecting (cpi.toml `[database] init`): the
-- enrollments CSV as the table `lms.enrollments` that the spec names. In
-- production that table lives in the learning platform's database.
CREATE SCHEMA IF NOT EXISTS lms;
CREATE OR REPLACE VIEW lms.enrollments AS SELECT * FROM read_csv('data/enrollments.csv', header = true);
