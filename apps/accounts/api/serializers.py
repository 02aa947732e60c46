from django.contrib.auth import authenticate
from rest_framework import serializers


class TokenCreateInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )

    def validate(self, attrs):
        # The request goes along so django-axes counts the failure against this account
        # from this address (and refuses, without checking the password, while locked).
        user = authenticate(
            request=self.context["request"],
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to sign in with the given username and password.", code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenCreateOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")
