"""Back-office pages that show records but never let anyone add or change them there.

Mix in before the ModelAdmin or inline class: `class CallAdmin(ViewOnly, admin.ModelAdmin)`.
Who may view still follows the model's view permission.
"""


class ViewOnly:
    """Shown, never added or changed here. Deleting still follows the model's delete permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ViewOnlyNoDelete(ViewOnly):
    """Shown, never added, changed or deleted here: records that must stay as they were written."""

    def has_delete_permission(self, request, obj=None):
        return False
