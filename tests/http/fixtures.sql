-- Base data of the HTTP end-to-end tests: the demo data (users 1 admin, 2 itstaff, 3 employee).
\ir ../../demo/seed.sql
