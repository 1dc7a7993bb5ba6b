-- Run by `cpic run` after connecting (cpi.toml `[database] init`): the
-- example's CSV files as the tables its sources name. In production these
-- tables live in the warehouse and no init file is needed.
CREATE SCHEMA IF NOT EXISTS support;
CREATE SCHEMA IF NOT EXISTS crm;
CREATE OR REPLACE VIEW support.contacts AS SELECT * FROM read_csv('data/contacts.csv', header = true);
CREATE OR REPLACE VIEW crm.customer_months AS SELECT * FROM read_csv('data/customer_months.csv', header = true);
