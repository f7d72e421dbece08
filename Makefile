.PHONY: run test
run:  ## set up and run on the embedded default (SQLite, no keys) at http://localhost:8000
	scripts/run.sh
test:  ## the whole test suite on real PostgreSQL and Redis (started and stopped here)
	scripts/test.sh
