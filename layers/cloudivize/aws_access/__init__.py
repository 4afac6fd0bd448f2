"""Reaching customers' AWS accounts: sessions through their role, trust audit, inventory, operations, activity.

Every call into a customer account is made with credentials of the customer's own role, assumed with the
tenant's External ID under the session name ``Cloudivize-Session``; what the role does not allow, Cloudivize
does not do, and says which permission is missing.
"""

SESSION_NAME = "Cloudivize-Session"
