-- A standardization in progress holds its attempt until standardizing_until, so double taps on
-- 去制作 for one photo neither run the pipeline twice nor take two quota units.
ALTER TABLE attempts ADD COLUMN standardizing_until TIMESTAMPTZ;
