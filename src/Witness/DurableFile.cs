using System.Runtime.InteropServices;

namespace Attest.Witness;

/// <summary>Replaces a small file so that after a crash it holds either the old or the new bytes, durably.</summary>
internal static partial class DurableFile
{
    /// <summary>Write a temporary file, fsync it, rename it over <paramref name="path"/>, fsync the directory.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        string tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    // The rename is durable only once the directory entry is; .NET has no API for it, so fsync the directory itself.
    // A witness that answered 200 without it could forget the size after a power cut and then cosign a rollback.
    private static void FsyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Native.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open {dir} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.fsync(fd) != 0) throw new IOException($"fsync of {dir} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Native.close(fd);
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int fsync(int fd);

        [LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
