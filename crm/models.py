from django.db import models
from django.db.models import Q

from .phones import display_phone
from .vin import validate_vin


class Customer(models.Model):
    # On PostgreSQL a trigram index (migration 0003, not in Meta: SQLite has none) serves name__icontains.
    name = models.CharField(max_length=120, blank=True)
    # E.164, e.g. +13125550147. Always written through crm.phones.normalize_phone.
    phone = models.CharField(max_length=16, unique=True)
    email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    sms_opt_in = models.BooleanField("agreed to text messages", default=False)
    no_show_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name or 'Unnamed'} ({display_phone(self.phone)})"

    @property
    def first_name(self):
        return self.name.split()[0] if self.name.strip() else ""


class Vehicle(models.Model):
    class DecodeSource(models.TextChoices):
        NONE = "", "Not decoded"
        VPIC = "vpic", "NHTSA vPIC"
        OFFLINE = "offline", "Offline (manufacturer and year only)"

    owner = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicles")
    vin = models.CharField("VIN", max_length=17, blank=True, validators=[validate_vin])
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    make = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=60, blank=True)
    trim = models.CharField(max_length=60, blank=True)
    mileage = models.PositiveIntegerField(null=True, blank=True)
    # What the last VIN decode returned (NHTSA vPIC or the offline decoder), and when.
    decoded = models.JSONField(default=dict, blank=True)
    decoded_at = models.DateTimeField(null=True, blank=True)
    decode_source = models.CharField(max_length=8, choices=DecodeSource.choices, blank=True, default="")
    # Recall campaigns NHTSA lists for this make, model and model year (not checked per VIN).
    recalls = models.JSONField(default=list, blank=True)
    recalls_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner", "-year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vin"], condition=~Q(vin=""), name="vehicle_vin_unique_when_present"),
        ]

    def __str__(self):
        described = " ".join(str(p) for p in (self.year, self.make, self.model) if p)
        return described or (f"VIN {self.vin}" if self.vin else "Vehicle")

    @property
    def recall_count(self):
        return len(self.recalls) if self.recalls_checked_at else None
