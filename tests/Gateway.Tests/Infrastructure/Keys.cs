namespace Gateway.Tests.Infrastructure;

/// <summary>Three API keys, one per role, as configuration settings.</summary>
public static class Keys
{
    public const string Viewer = "viewer-key-0123456789";
    public const string Operator = "operator-key-0123456789";
    public const string Admin = "admin-key-0123456789";

    public static readonly (string Role, string Key)[] ByRole = [("viewer", Viewer), ("operator", Operator), ("admin", Admin)];

    public static Dictionary<string, string?> Settings(IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < ByRole.Length; i++)
        {
            settings[$"Gateway:Auth:Keys:{i}:Name"] = ByRole[i].Role + "-key";
            settings[$"Gateway:Auth:Keys:{i}:Role"] = ByRole[i].Role;
            settings[$"Gateway:Auth:Keys:{i}:Key"] = ByRole[i].Key;
        }

        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }
}
