"""Signals of the crm app: a customer's saved or deleted phone number is dropped from the caller-ID cache."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Customer
from .phone_cache import forget_cached_phone


@receiver(pre_save, sender=Customer)
def remember_old_phone(sender, instance, **kwargs):
    if instance.pk:
        instance._old_phone = Customer.objects.filter(pk=instance.pk).values_list("phone", flat=True).first()


@receiver(post_save, sender=Customer)
@receiver(post_delete, sender=Customer)
def forget_cached_customer(sender, instance, **kwargs):
    forget_cached_phone(instance.phone)
    old = getattr(instance, "_old_phone", None)
    if old and old != instance.phone:
        forget_cached_phone(old)
