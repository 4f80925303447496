-- Association codes (关联代码) are 8 random characters of 32: about 1.1 × 10^12 codes, so among a
-- million units two draws collide with a probability near one half (the birthday bound), and the
-- unique index then refused the whole insert (the benchmark's bulk units hit it; a login would, once
-- in about a million registrations at that size). A unit's code is now drawn again, before the
-- insert, while another unit holds it. Concurrent inserts drawing the same new code within the same
-- instant are still caught by the unique index (probability about 10^-12 per pair).
CREATE FUNCTION talent_unique_association_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WHILE EXISTS (SELECT 1 FROM units WHERE association_code = NEW.association_code) LOOP
        NEW.association_code := talent_association_code();
    END LOOP;
    RETURN NEW;
END
$$;

CREATE TRIGGER units_unique_association_code BEFORE INSERT ON units
    FOR EACH ROW EXECUTE FUNCTION talent_unique_association_code();
