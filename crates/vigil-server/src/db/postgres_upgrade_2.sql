-- From version 1 to 2 of the tables: handhelds enrolled beside workstations, and the index that
-- finds a check-in posted twice.
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS client text NOT NULL DEFAULT 'workstation'
    CHECK (client IN ('workstation', 'handheld'));
ALTER TABLE workstations ADD COLUMN IF NOT EXISTS client text NOT NULL DEFAULT 'workstation'
    CHECK (client IN ('workstation', 'handheld'));
CREATE INDEX IF NOT EXISTS events_subject ON events (subject);
