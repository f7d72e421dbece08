"""`manage.py import_customers FILE.csv`: what a shop moving from another system goes through."""

import csv
import io
import os
import signal

import pytest
from django.core.management import CommandError, call_command

from crm import customer_import
from crm.models import Customer, Vehicle

pytestmark = pytest.mark.django_db

ACCORD = "1HGCM82633A004352"
CIVIC = "2HGFC2F56KH512345"
F150 = "1FTFW1ET9DFC10312"
PRIUS = "JTDKB20U893467891"
HEADER = "name,phone,email,vin,year,make,model,sms_opt_in\n"


@pytest.fixture
def write_csv(tmp_path):
    def write(text, name="customers.csv", encoding="utf-8"):
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return str(path)

    return write


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_customers", path, *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_customers_and_vehicles_are_imported_in_the_shops_formats(write_csv):
    path = write_csv(
        HEADER
        + f"Dana Whitfield,(312) 555-0147,dana@example.com,{ACCORD},2003,Honda,Accord,yes\n"
        + f"Marcus Oyelaran,773.555.0199,,{CIVIC.lower()},,,,no\n"
        + "Priya Natarajan,+1 312 555 0188,,,2015,Subaru,Outback,\n"
        + "Walk-in,312-555-0111,,,,,,\n"
    )
    summary, err = run(path)
    assert summary == (
        "4 customers created, 0 already on file (left as they were); 3 vehicles added, "
        "0 already on file; 0 rows rejected."
    )
    dana = Customer.objects.get(phone="+13125550147")
    assert dana.name == "Dana Whitfield" and dana.email == "dana@example.com" and dana.sms_opt_in
    assert [(v.vin, v.year, v.make, v.model) for v in dana.vehicles.all()] == [(ACCORD, 2003, "Honda", "Accord")]
    assert Customer.objects.get(phone="+17735550199").vehicles.get().vin == CIVIC
    outback = Customer.objects.get(phone="+13125550188").vehicles.get()
    assert (outback.vin, outback.year, outback.model) == ("", 2015, "Outback")
    assert not Customer.objects.get(phone="+13125550111").vehicles.exists()


def test_bad_rows_are_rejected_with_line_numbers_and_reasons_and_the_rest_imported(write_csv, tmp_path):
    bad_check_digit = ACCORD[:8] + "9" + ACCORD[9:]
    path = write_csv(
        HEADER
        + f"Dana Whitfield,(312) 555-0147,,{ACCORD},2003,Honda,Accord,yes\n"  # line 2: fine
        + "Bad Phone,555-0147,,,,,,\n"  # line 3: no area code
        + f"Bad Vin,312-555-0150,,{bad_check_digit},,,,\n"  # line 4: check digit
        + f"Dana Whitfield,3125550147,,{ACCORD},2003,Honda,Accord,yes\n"  # line 5: line 2 again
        + "Opt In,312-555-0151,,,,,,maybe\n"  # line 6
        + "Old Car,312-555-0152,,,1850,Ford,Model T,\n"  # line 7
        + f"Someone Else,312-555-0153,,{ACCORD},,,,\n"  # line 8: Dana's VIN
        + "Not Dana,(312) 555-0147,,,2020,Kia,Soul,\n"  # line 9: Dana's phone, other name
        + "Bad Email,312-555-0154,not-an-email,,,,,\n"  # line 10
    )
    rejects = tmp_path / "rejected.csv"
    summary, err = run(path, "--rejects", str(rejects))

    assert summary.endswith("8 rows rejected.") and summary.startswith("1 customers created")
    reported = dict(line.split(": ", 1) for line in err.strip().splitlines())
    assert set(reported) == {f"line {n}" for n in range(3, 11)}
    assert "phone" in reported["line 3"] and "not a valid phone number" in reported["line 3"]
    assert "VIN check digit is wrong" in reported["line 4"]
    assert reported["line 5"] == "duplicate of line 2 (same phone (312) 555-0147 and vehicle)"
    assert "sms_opt_in must be yes or no" in reported["line 6"]
    assert "year must be a model year" in reported["line 7"]
    assert reported["line 8"] == f"VIN {ACCORD} is already on line 2 for another phone"
    assert "already on line 2 for 'Dana Whitfield'" in reported["line 9"]
    assert "e-mail" in reported["line 10"].lower() or "email" in reported["line 10"].lower()

    assert list(Customer.objects.values_list("phone", flat=True)) == ["+13125550147"]
    assert Vehicle.objects.count() == 1
    written = list(csv.DictReader(rejects.open()))
    assert [row["line"] for row in written] == [str(n) for n in range(3, 11)]
    assert written[0]["name"] == "Bad Phone" and "phone" in written[0]["reason"]


def test_running_the_same_file_again_adds_nothing(write_csv):
    path = write_csv(
        HEADER
        + f"Dana Whitfield,(312) 555-0147,,{ACCORD},2003,Honda,Accord,yes\n"
        + "Dana Whitfield,(312) 555-0147,,,2019,Toyota,RAV4,yes\n"  # her second car, no VIN
        + "Marcus Oyelaran,773.555.0199,,,,,,\n"
    )
    first, _ = run(path)
    second, _ = run(path)
    assert first == (
        "2 customers created, 0 already on file (left as they were); 2 vehicles added, "
        "0 already on file; 0 rows rejected."
    )
    assert second == (
        "0 customers created, 2 already on file (left as they were); 0 vehicles added, "
        "2 already on file; 0 rows rejected."
    )
    assert Customer.objects.count() == 2 and Vehicle.objects.count() == 2


def test_customers_already_on_file_keep_their_details_and_gain_new_vehicles(write_csv, customer):
    path = write_csv(HEADER + f"D. Whitfield,312 555 0147,old@example.com,{F150},2013,Ford,F-150,no\n")
    summary, _ = run(path)
    assert summary.startswith("0 customers created, 1 already on file")
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.sms_opt_in) == ("Dana Whitfield", "dana@example.com", True)
    assert customer.vehicles.get().vin == F150


def test_a_vin_on_file_for_another_customer_rejects_the_row(write_csv, other_customer):
    other_customer.vehicles.create(vin=PRIUS)
    summary, err = run(write_csv(HEADER + f"Dana Whitfield,312 555 0147,,{PRIUS},,,,\n"))
    assert summary.endswith("1 rows rejected.")
    assert "line 2: That VIN is on file under a different customer" in err
    assert not Customer.objects.filter(phone="+13125550147").exists()  # the row is all or nothing


def test_dry_run_checks_everything_and_saves_nothing(write_csv):
    path = write_csv(HEADER + "Dana,(312) 555-0147,,,,,,\nBad,555,,,,,,\n")
    summary, err = run(path, "--dry-run")
    assert summary.startswith("Dry run, nothing saved: 1 customers created")
    assert "line 3:" in err
    assert not Customer.objects.exists()


def test_columns_may_come_in_any_order_with_extra_ones_ignored(write_csv):
    path = write_csv("\ufeffPhone,Name,Notes\n(312) 555-0147,Dana Whitfield,likes mornings\n", encoding="utf-8")
    summary, err = run(path)
    assert summary.startswith("1 customers created")
    assert "Ignoring unknown column 'notes'" in err
    assert Customer.objects.get().name == "Dana Whitfield"


def test_quoted_fields_with_commas_and_line_breaks_keep_line_numbers_right(write_csv):
    path = write_csv(
        HEADER + '"Whitfield, Dana",(312) 555-0147,,,,,,\n"Two\nLines",bad phone,,,,,,\n\nX,also bad,,,,,,\n'
    )
    summary, err = run(path)
    assert Customer.objects.get().name == "Whitfield, Dana"
    assert [line.split(":")[0] for line in err.strip().splitlines()] == ["line 3", "line 6"]


def test_a_file_that_cannot_be_read_fails(write_csv, tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
        run(str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="not UTF-8"):
        run(write_csv("name,phone\nJos\xe9,3125550147\n", name="latin1.csv", encoding="latin-1"))
    with pytest.raises(CommandError, match="no 'phone' column"):
        run(write_csv("name,telephone\nDana,3125550147\n", name="nophone.csv"))
    with pytest.raises(CommandError, match="the file is empty"):
        run(write_csv("", name="empty.csv"))
    assert not Customer.objects.exists()


def test_sigterm_stops_between_rows_and_a_rerun_carries_on(write_csv, monkeypatch):
    path = write_csv(HEADER + "".join(f"Customer {n},312-555-01{n:02d},,,,,,\n" for n in range(10, 16)))
    real_import_row = customer_import.Import.import_row
    imported = []

    def import_row_then_terminated(self, row, line):
        real_import_row(self, row, line)
        imported.append(line)
        if len(imported) == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(customer_import.Import, "import_row", import_row_then_terminated)
    with pytest.raises(CommandError, match="Stopped on SIGTERM before line 4.*Run it again"):
        run(path)
    assert Customer.objects.count() == 2
    monkeypatch.setattr(customer_import.Import, "import_row", real_import_row)
    summary, _ = run(path)
    assert summary.startswith("4 customers created, 2 already on file")
    assert Customer.objects.count() == 6
