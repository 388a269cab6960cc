using System.Diagnostics;

namespace Attest.Tests.Shared;

/// <summary>
/// A size-limited tmpfs mounted on a new temporary directory for one test, for a disk that really fills: mounting
/// needs root (the tests run as root in CI). Dispose unmounts it lazily (a server may still hold a file open) and
/// deletes the directory; dispose the server first.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Bytes still free on the filesystem.</summary>
    public long AvailableFreeSpace => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Mounts a tmpfs with <paramref name="options"/> (<c>mount -o</c>, e.g. <c>size=256m</c>).</summary>
    public static Tmpfs Mount(string options, string prefix = "attest-tmpfs-")
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test mounts a tmpfs: it needs root (as in CI)");
        string mount = Directory.CreateTempSubdirectory(prefix).FullName;
        try
        {
            Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", mount);
        }
        catch
        {
            Directory.Delete(mount);
            throw;
        }
        return new Tmpfs(mount);
    }

    /// <summary>A path inside the mount.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Writes a file of zeros that leaves <paramref name="leave"/> bytes free on the filesystem; returns its path. The
    /// free space is read again before each write: a server on the filesystem may still be writing (the end of an index
    /// checkpoint), and a size fixed at the start ran the filler itself out of space.
    /// </summary>
    public string FillLeaving(string name, long leave)
    {
        string path = File(name);
        var chunk = new byte[1 << 20];
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        for (long remaining; (remaining = AvailableFreeSpace - leave) > 0;) f.Write(chunk, 0, (int)Math.Min(chunk.Length, remaining));
        return path;
    }

    /// <summary>Writes zeros to a new file until the filesystem has no block left; returns its path.</summary>
    public string Fill(string name)
    {
        string path = File(name);
        var zeros = new byte[1 << 16];
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true) file.Write(zeros);
        }
        catch (IOException)
        {
            // ENOSPC: full. Smaller writes take the last partial block too.
        }
        try
        {
            while (true) file.Write(zeros, 0, 512);
        }
        catch (IOException)
        {
        }
        return path;
    }

    /// <summary>Creates empty files in a new directory until no inode is left (ENOSPC); returns the directory.</summary>
    public string UseUpInodes(string name)
    {
        string dir = File(name);
        Directory.CreateDirectory(dir);
        for (int i = 0; ; i++)
        {
            try
            {
                System.IO.File.Create(System.IO.Path.Combine(dir, i.ToString())).Dispose();
            }
            catch (IOException)
            {
                return dir; // ENOSPC: no inode left
            }
        }
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static void Run(string command, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true, UseShellExecute = false })!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{command} {string.Join(' ', args)} failed ({p.ExitCode}): {error}");
    }
}
