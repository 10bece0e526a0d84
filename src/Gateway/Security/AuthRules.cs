using Gateway.Listeners;

namespace Gateway.Security;

/// <summary>What makes <c>Gateway:Auth:Keys</c> valid; messages name the key (never its value).</summary>
internal static class AuthRules
{
    public const int MinKeyLength = 16;

    public static IEnumerable<string> Validate(AuthOptions auth)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < auth.Keys.Count; i++)
        {
            var key = auth.Keys[i];
            var at = $"Gateway:Auth:Keys:{i}";
            if (!ListenerNames.IsValid(key.Name))
            {
                yield return $"{at}:Name '{key.Name}' is not a valid name ({ListenerNames.Rule}).";
            }
            else if (!names.Add(key.Name))
            {
                yield return $"{at}:Name '{key.Name}' is used by another key.";
            }

            var hasKey = !string.IsNullOrEmpty(key.Key);
            var hasHash = !string.IsNullOrWhiteSpace(key.KeySha256);
            if (hasKey == hasHash)
            {
                yield return $"{at}: give either Key or KeySha256 (the key's SHA-256 as 64 hex digits).";
            }
            else if (hasKey && key.Key!.Length < MinKeyLength)
            {
                yield return $"{at}:Key is shorter than {MinKeyLength} characters: use a long random key (e.g. openssl rand -hex 24).";
            }
            else if (hasHash && (key.KeySha256!.Trim().Length != 64 || !key.KeySha256.Trim().All(Uri.IsHexDigit)))
            {
                yield return $"{at}:KeySha256 must be 64 hex digits (e.g. printf %s KEY | sha256sum).";
            }

            if (!Roles.IsRole(key.Role?.Trim().ToLowerInvariant()))
            {
                yield return $"{at}:Role '{key.Role}' is not a role: use viewer, operator or admin.";
            }
        }
    }
}
