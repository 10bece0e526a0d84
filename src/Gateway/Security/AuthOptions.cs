namespace Gateway.Security;

/// <summary><c>Gateway:Auth</c>: the API keys. With none, the gateway is open, which it allows only on loopback.</summary>
public sealed class AuthOptions
{
    public List<ApiKeyOptions> Keys { get; set; } = [];
}

/// <summary>One API key: <c>{name, key (or keySha256), role}</c>.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who holds it; shown in logs and the audit trail, never the key.</summary>
    public string Name { get; set; } = "";

    /// <summary>The key itself (at least 16 characters).</summary>
    public string? Key { get; set; }

    /// <summary>Or its SHA-256, as 64 hex digits, so the configuration need not hold the key.</summary>
    public string? KeySha256 { get; set; }

    /// <summary><c>viewer</c>, <c>operator</c> or <c>admin</c>.</summary>
    public string Role { get; set; } = "";
}
